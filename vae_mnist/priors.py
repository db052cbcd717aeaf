"""Priors p_lambda(z) for the VAE, each a Keras layer with `log_prob(z)` and `sample(n)`.

Assignment 5, question 1: (1) standard Gaussian, (2) a mixture of K Gaussians whose weights,
means and variances are trained with the model, (3) our choice: the VampPrior (Tomczak & Welling,
"VAE with a VampPrior", AISTATS 2018), p(z) = 1/K sum_k q(z | u_k) with K trainable pseudo-inputs
u_k passed through the VAE's own encoder.
"""
import math

import keras
from keras import ops

LOG_2PI = math.log(2.0 * math.pi)


def gaussian_log_prob(z, mean, log_var):
    """log N(z | mean, diag(exp(log_var))), summed over the last axis (broadcasting)."""
    return -0.5 * ops.sum(LOG_2PI + log_var + ops.square(z - mean) / ops.exp(log_var), axis=-1)


def mixture_log_prob(z, log_weights, means, log_vars):
    """log sum_k w_k N(z | mean_k, var_k) for z of shape (N, D) and K components of shape (K, D)."""
    per_component = gaussian_log_prob(z[:, None, :], means[None], log_vars[None])  # (N, K)
    return ops.logsumexp(per_component + log_weights[None], axis=1)


def sample_mixture(n, log_weights, means, log_vars, seed):
    """n draws: a component k ~ Categorical(w), then z ~ N(mean_k, var_k)."""
    k = keras.random.categorical(log_weights[None], n, seed=seed)[0]
    mean, log_var = ops.take(means, k, axis=0), ops.take(log_vars, k, axis=0)
    return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean), seed=seed)


class StandardGaussian(keras.layers.Layer):
    """p(z) = N(0, I)."""

    def __init__(self, latent_dim=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)

    def log_prob(self, z):
        return gaussian_log_prob(z, 0.0, ops.zeros_like(z))

    def sample(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)


class MixtureOfGaussians(keras.layers.Layer):
    """p(z) = sum_k w_k N(z | mu_k, diag(sigma_k^2)), all of w, mu, sigma^2 trainable.

    The weights are softmax(logits) and the variances exp(log_var), so every gradient step leaves
    a valid distribution (weights positive, summing to 1; variances positive).
    """

    def __init__(self, components=10, latent_dim=2, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.logits = self.add_weight(shape=(components,), initializer="zeros", name="logits")
        # spread the means so the components do not start on top of each other
        self.means = self.add_weight(shape=(components, latent_dim), name="means",
                                     initializer=keras.initializers.RandomNormal(stddev=1.0, seed=seed))
        self.log_vars = self.add_weight(shape=(components, latent_dim), initializer="zeros",
                                        name="log_vars")

    def mixture_weights(self):
        return ops.softmax(self.logits)

    def log_prob(self, z):
        return mixture_log_prob(z, ops.log_softmax(self.logits), self.means, self.log_vars)

    def sample(self, n):
        return sample_mixture(n, ops.log_softmax(self.logits), self.means, self.log_vars,
                              self.seed_generator)


class VampPrior(keras.layers.Layer):
    """p(z) = 1/K sum_k q(z | u_k): the aggregated posterior of K learned pseudo-images u_k.

    The pseudo-inputs are clipped to [0, 1] (the hardtanh of the paper) so they stay images.
    `init` (K x 28 x 28 x 1), e.g. K random training digits, gives them a good start.
    """

    def __init__(self, encoder, components=10, image_shape=(28, 28, 1), init=None, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.seed_generator = keras.random.SeedGenerator(seed)
        initializer = (keras.initializers.Constant(init) if init is not None else
                       keras.initializers.RandomUniform(0.0, 1.0, seed=seed))
        self.pseudo_inputs = self.add_weight(shape=(components, *image_shape), name="pseudo_inputs",
                                             initializer=initializer)

    def components(self):
        """(log_weights, means, log_vars) of the K Gaussians q(z | u_k), equal weights 1/K."""
        mean, log_var = self.encoder(ops.clip(self.pseudo_inputs, 0.0, 1.0))
        k = ops.shape(mean)[0]
        return ops.full((k,), -math.log(k)), mean, log_var

    def log_prob(self, z):
        return mixture_log_prob(z, *self.components())

    def sample(self, n):
        return sample_mixture(n, *self.components(), self.seed_generator)
