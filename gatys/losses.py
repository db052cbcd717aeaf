"""The losses of optimisation-based style transfer (Gatys, Ecker & Bethge, CVPR 2016).

Feature maps are (H, W, C) or (1, H, W, C) tensors of one VGG19 layer.
"""
from keras import ops


def content_loss(w_c, F, P):
    """w_c * sum((F - P)^2): generated features F against the content image's features P."""
    return w_c * ops.sum(ops.square(F - P))


def gram_matrix(F, normalize=True):
    """G = F^T F over spatial positions, a (C, C) matrix of channel co-activations.

    normalize=True divides by the number of positions H * W, so that a style's Gram matrix does
    not grow with image size (the paper's 1 / (4 N^2 M^2) folds this and a constant into w_l).
    """
    channels = ops.shape(F)[-1]
    flat = ops.reshape(F, (-1, channels))
    gram = ops.matmul(ops.transpose(flat), flat)
    if normalize:
        gram = gram / ops.cast(ops.shape(flat)[0], gram.dtype)
    return gram


def style_loss(features, targets, weights):
    """sum_l w_l * sum((G_l - A_l)^2): Gram matrices G_l of the generated image's features
    against the style image's Gram matrices A_l (`targets`), one weight per layer."""
    return sum(w * ops.sum(ops.square(ops.subtract(gram_matrix(F), A)))
               for F, A, w in zip(features, targets, weights))


def tv_loss(w_t, x):
    """w_t * (sum of squared differences of vertically and horizontally adjacent pixels)."""
    if len(x.shape) == 3:
        x = x[None]
    vertical = ops.sum(ops.square(x[:, 1:, :, :] - x[:, :-1, :, :]))
    horizontal = ops.sum(ops.square(x[:, :, 1:, :] - x[:, :, :-1, :]))
    return w_t * (vertical + horizontal)
