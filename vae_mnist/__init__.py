"""VAE with a 2-D latent on MNIST under several priors (assignment 5, question 1)."""

import common  # noqa: F401,E402  (first: the Keras backend and a quiet TensorFlow start)
