"""The losses of optimisation-based style transfer (Gatys, Ecker & Bethge, CVPR 2016).

Feature maps are (H, W, C) or (1, H, W, C) tensors of one VGG19 layer: the normalised VGG19's,
as in the paper (common.vgg), so that the style layers' losses are of comparable size.
"""
from keras import ops


def content_loss(w_c, F, P):
    """w_c * 1/2 sum((F - P)^2) (the paper's eq. 1): generated features F against the content
    image's features P."""
    return w_c * 0.5 * ops.sum(ops.square(F - P))


def gram_matrix(F, normalize=True):
    """G = F^T F over spatial positions, a (C, C) matrix of channel co-activations.

    normalize=True divides by the number of positions M = H * W, so that a style's Gram matrix
    does not grow with image size (style_loss divides by the rest of the paper's 4 N^2 M^2).
    """
    channels = ops.shape(F)[-1]
    flat = ops.reshape(F, (-1, channels))
    gram = ops.matmul(ops.transpose(flat), flat)
    if normalize:
        gram = gram / ops.cast(ops.shape(flat)[0], gram.dtype)
    return gram


def style_loss(features, targets, weights):
    """sum_l w_l E_l, E_l = 1 / (4 N_l^2 M_l^2) sum((G_l - A_l)^2) (the paper's eqs. 4 and 5)
    with G_l, A_l the unnormalised Gram matrices of the generated image and of the painting
    (`targets` are gram_matrix's, already divided by M_l) and N_l the layer's channels."""
    total = 0.0
    for F, A, w in zip(features, targets, weights):
        channels = ops.shape(F)[-1]
        total += w * ops.sum(ops.square(ops.subtract(gram_matrix(F), A))) / (4.0 * channels ** 2)
    return total


def tv_loss(w_t, x):
    """w_t * (sum of squared differences of vertically and horizontally adjacent pixels)."""
    if len(x.shape) == 3:
        x = x[None]
    vertical = ops.sum(ops.square(x[:, 1:, :, :] - x[:, :-1, :, :]))
    horizontal = ops.sum(ops.square(x[:, :, 1:, :] - x[:, :, :-1, :]))
    return w_t * (vertical + horizontal)
