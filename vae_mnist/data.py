"""MNIST for the VAE: grey values in [0, 1] used as Bernoulli means (the keras-io VAE convention).

The decoder is Bernoulli, and its log-likelihood is evaluated at the grey values themselves
(continuous binary cross-entropy), not at a binarised copy: the numbers are therefore comparable
with the keras-io 2-D VAE, not with the "binarised MNIST" literature.
"""
import numpy as np

from common.assets import load_mnist


def load_data(limit=None):
    """-> (x_train, x_test), float32 arrays N x 28 x 28 x 1 in [0, 1]; `limit` caps both sizes."""
    (x_train, _), (x_test, _) = load_mnist()
    x_train, x_test = (x[:limit].astype(np.float32)[..., None] / 255.0 for x in (x_train, x_test))
    return x_train, x_test
