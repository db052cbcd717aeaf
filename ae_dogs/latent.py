"""Latent-space experiments of question 2 (3) and (4): a Gaussian fitted to latent codes, noise.

Codes are handled flattened: an 8x8x16 code is a vector of 1024 numbers.
"""
import numpy as np


def fit_gaussian(codes):
    """Mean (D,) and full covariance (D, D) of codes (N, ...) flattened to D numbers each."""
    flat = np.asarray(codes, dtype=np.float64).reshape(len(codes), -1)
    return flat.mean(axis=0), np.cov(flat, rowvar=False)


def sample_gaussian(mean, cov, n, rng):
    """n samples of N(mean, cov), also when cov is singular.

    From N = 256 codes of D = 1024 numbers the sample covariance has rank at most N - 1 = 255, so
    it is singular and a Cholesky factorisation fails. We sample the degenerate Gaussian exactly,
    as np.random.multivariate_normal(method="eigh") does: cov = V diag(lam) V^T, and
    x = mean + V (sqrt(lam) * z) with z ~ N(0, I). Round-off makes some of the (mathematically
    zero) eigenvalues slightly negative; they are clipped to 0. The samples then lie in the
    255-dimensional affine span of the codes, with exactly their mean and covariance, and no ridge
    term has to be invented.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    scale = np.sqrt(np.clip(eigenvalues, 0.0, None))
    z = rng.standard_normal((n, len(mean)))
    return mean + (z * scale) @ eigenvectors.T


def add_noise(codes, stddev, rng):
    """codes + N(0, stddev^2), elementwise (question 2 (4))."""
    return codes + stddev * rng.standard_normal(codes.shape).astype(codes.dtype)
