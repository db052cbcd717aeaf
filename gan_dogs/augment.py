"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) for a GAN trained on few images.

The discriminator sees real AND generated images through the same random colour, translation and
cutout transforms, all made of differentiable Keras ops, so the generator's gradient passes
through them; the discriminator can no longer memorise the 3,600 training photos, and the
generator is not taught to produce augmented-looking images (the transforms apply to both sides).
Images are (N, S, S, 3) in [-1, 1].
"""
import keras
from keras import ops


def color(x, seed):
    """Per image: brightness +-0.5, saturation x0..2, contrast x0.5..1.5 (DiffAugment's 'color')."""
    n = ops.shape(x)[0]
    x = x + (keras.random.uniform((n, 1, 1, 1), seed=seed) - 0.5)
    grey = ops.mean(x, axis=3, keepdims=True)
    x = grey + (x - grey) * keras.random.uniform((n, 1, 1, 1), 0.0, 2.0, seed=seed)
    mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
    return mean + (x - mean) * keras.random.uniform((n, 1, 1, 1), 0.5, 1.5, seed=seed)


def translation(x, seed, ratio=0.125):
    """Per image: shift by up to `ratio` of the side in each direction, zeros shifted in."""
    n, size = ops.shape(x)[0], ops.shape(x)[1]
    shift = ops.cast(ops.round(keras.random.uniform((n, 2), -ratio, ratio, seed=seed)
                               * ops.cast(size, "float32")), "float32")
    # affine_transform's [a0, a1, a2, b0, b1, b2, c0, c1]: output (x, y) samples input
    # (x + a2, y + b2)
    ones, zeros = ops.ones((n, 1)), ops.zeros((n, 1))
    transform = ops.concatenate([ones, zeros, shift[:, :1], zeros, ones, shift[:, 1:],
                                 zeros, zeros], axis=1)
    return ops.image.affine_transform(x, transform, interpolation="nearest", fill_mode="constant")


def cutout(x, seed, ratio=0.5):
    """Per image: zero a random square of `ratio` of the side (DiffAugment's 'cutout')."""
    n, size = ops.shape(x)[0], ops.shape(x)[1]
    half = ops.cast(size, "float32") * ratio / 2
    centre = keras.random.uniform((n, 2), 0.0, 1.0, seed=seed) * ops.cast(size, "float32")
    coords = ops.cast(ops.arange(size), "float32") + 0.5
    inside_y = ops.abs(coords[None, :] - centre[:, :1]) < half  # (n, size)
    inside_x = ops.abs(coords[None, :] - centre[:, 1:]) < half
    hole = ops.logical_and(inside_y[:, :, None], inside_x[:, None, :])
    return ops.multiply(x, ops.cast(ops.logical_not(hole), x.dtype)[..., None])


def diff_augment(x, seed, probability=1.0):
    """color, then translation, then cutout (the policy of the DiffAugment paper), applied to each
    image with `probability`; the others pass unchanged, as in ADA (Karras et al. 2020)."""
    augmented = cutout(translation(color(x, seed), seed), seed)
    if probability >= 1:
        return augmented
    chosen = keras.random.uniform((ops.shape(x)[0], 1, 1, 1), seed=seed) < probability
    return ops.where(chosen, augmented, x)
