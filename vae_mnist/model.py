"""The VAE: Gaussian encoder q(z|x), Bernoulli decoder p(x|z), any prior p(z) (see priors.py).

Loss = -ELBO = reconstruction + regulariser, per image (assignment 5, eqs. (1)-(2)):
    reconstruction = -E_q[ln p(x|z)]            (binary cross-entropy summed over the 784 pixels)
    regulariser    =  E_q[ln q(z|x) - ln p(z)]   (called "kl": it is KL(q(z|x) || p(z)))
Both expectations use one reparameterised sample z = mean + sigma * eps (Kingma & Welling 2014),
so the regulariser needs only p(z).log_prob and works for every prior.
"""
import math

import keras
from keras import layers, ops

from common.distribute import ReplicaSeedGenerator, replica_loss
from common.gradients import descend
from vae_mnist.priors import (MixtureOfGaussians, StandardGaussian, VampPrior,
                              gaussian_log_prob)

PRIORS = ("standard", "mog", "vamp")


def build_encoder(latent_dim=2, hidden=(512, 256)):
    """x (28x28x1) -> (mean, log_var) of q(z|x)."""
    x = keras.Input((28, 28, 1), name="image")
    h = layers.Flatten()(x)
    for units in hidden:
        h = layers.Dense(units, activation="relu")(h)
    mean = layers.Dense(latent_dim, name="z_mean")(h)
    log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    return keras.Model(x, [mean, log_var], name="encoder")


def build_decoder(latent_dim=2, hidden=(256, 512)):
    """z -> logits of the 28x28 Bernoulli means (the sigmoid lives in the loss, for stability)."""
    z = keras.Input((latent_dim,), name="z")
    h = z
    for units in hidden:
        h = layers.Dense(units, activation="relu")(h)
    logits = layers.Reshape((28, 28, 1))(layers.Dense(28 * 28, name="logits")(h))
    return keras.Model(z, logits, name="decoder")


def build_prior(name, encoder, components=10, latent_dim=2, init=None, seed=None):
    """The prior called `name` (one of PRIORS); ValueError for an unknown name or K < 1."""
    if name not in PRIORS:
        raise ValueError(f"unknown prior '{name}'; choose one of {', '.join(PRIORS)}")
    if components < 1:
        raise ValueError(f"the prior needs at least one component, got K = {components}")
    if name == "standard":
        return StandardGaussian(latent_dim, seed=seed, name="prior")
    if name == "mog":
        return MixtureOfGaussians(components, latent_dim, seed=seed, name="prior")
    return VampPrior(encoder, components, init=init, seed=seed, name="prior")


def bernoulli_log_prob(x, logits):
    """ln p(x|z) summed over pixels: -BCE(x, sigmoid(logits)), written stably in the logits."""
    return -ops.sum(ops.softplus(logits) - ops.multiply(x, logits), axis=(1, 2, 3))


class VAE(keras.Model):
    def __init__(self, encoder, decoder, prior, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder, self.prior = encoder, decoder, prior
        self.seed_generator = ReplicaSeedGenerator(seed)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "reconstruction", "kl")}
        self.built = True  # every weight exists already (functional parts, priors' add_weight)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def reparameterise(self, mean, log_var):
        """z = mean + sigma * eps, eps ~ N(0, I): a sample of q(z|x) that gradients flow through."""
        return mean + ops.exp(0.5 * log_var) * keras.random.normal(ops.shape(mean),
                                                                   seed=self.seed_generator)

    def encode_sample(self, x):
        """z ~ q(z|x), with the (mean, log_var) it came from."""
        mean, log_var = self.encoder(x)
        return self.reparameterise(mean, log_var), mean, log_var

    def call(self, x):
        """Reconstruction: the Bernoulli means of p(x|z) for one z ~ q(z|x)."""
        return ops.sigmoid(self.decoder(self.encode_sample(x)[0]))

    def elbo_terms(self, x):
        """Per-image (reconstruction, kl): one-sample Monte Carlo estimates; -ELBO is their sum."""
        z, mean, log_var = self.encode_sample(x)
        reconstruction = -bernoulli_log_prob(x, self.decoder(z))
        kl = gaussian_log_prob(z, mean, log_var) - self.prior.log_prob(z)
        return reconstruction, kl

    def _update(self, reconstruction, kl):
        for name, value in (("loss", reconstruction + kl), ("reconstruction", reconstruction),
                            ("kl", kl)):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        def loss():
            reconstruction, kl = self.elbo_terms(data)
            return replica_loss(ops.mean(reconstruction + kl)), reconstruction, kl
        _, reconstruction, kl = descend(self.optimizer, self.trainable_weights, loss)
        return self._update(reconstruction, kl)

    def test_step(self, data):
        return self._update(*self.elbo_terms(data))

    def log_likelihood(self, x, k=100, batch_size=100):
        """Importance-weighted estimate of ln p(x) per image (Burda et al., IWAE, 2016):
        ln p(x) ~= logsumexp_i [ln p(x|z_i) + ln p(z_i) - ln q(z_i|x)] - ln k,  z_i ~ q(z|x).
        A lower bound that tightens as k grows; k = 1 gives the ELBO.
        """
        estimates = []
        for start in range(0, len(x), batch_size):
            batch = ops.convert_to_tensor(x[start:start + batch_size])
            n = ops.shape(batch)[0]
            # image i's k samples are rows i*k .. i*k+k-1
            mean, log_var = (ops.repeat(t, k, axis=0) for t in self.encoder(batch))
            z = self.reparameterise(mean, log_var)
            log_w = (bernoulli_log_prob(ops.repeat(batch, k, axis=0), self.decoder(z))
                     + self.prior.log_prob(z) - gaussian_log_prob(z, mean, log_var))
            estimates.append(ops.logsumexp(ops.reshape(log_w, (n, k)), axis=1) - math.log(k))
        return ops.convert_to_numpy(ops.concatenate(estimates))
