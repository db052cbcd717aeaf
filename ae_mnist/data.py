"""MNIST as flat float32 vectors in [0, 1], and the assignment's additive Gaussian noise."""
import numpy as np

from common.assets import load_mnist

IMAGE_SHAPE = (28, 28)
PIXELS = 28 * 28


def load(mnist_path=None):
    """((x_train, y_train), (x_test, y_test)): x float32 (N, 784) in [0, 1], y integer labels."""
    (x_train, y_train), (x_test, y_test) = load_mnist(mnist_path)

    def flat(x):
        return (x.reshape(len(x), PIXELS) / 255.0).astype("float32")
    return (flat(x_train), y_train.astype("int64")), (flat(x_test), y_test.astype("int64"))


def add_noise(x, noise_factor, seed=0, clip=False):
    """The assignment's code example: `x_noisy = x + noise_factor * N(0, 1)`, drawn once per image.

    The example does not clip, so by default neither do we: the network is fed values outside
    [0, 1]. With clip=True the result is clipped to [0, 1] (as the Keras blog's denoising example
    does). Either way, PSNR(noisy, clean) is computed on exactly this array, what the model sees.
    """
    rng = np.random.default_rng(seed)
    noisy = x + noise_factor * rng.standard_normal(x.shape, dtype=np.float32)
    return np.clip(noisy, 0.0, 1.0) if clip else noisy


def first_of_each_digit(labels):
    """Index of the first example of each digit 0..9 (the figures' columns)."""
    return np.array([np.flatnonzero(labels == d)[0] for d in range(10)])
