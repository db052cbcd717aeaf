"""Convolutional autoencoder with an 8x8x16 latent on dog photos (2023 assignment 3, question 2)."""

import common  # noqa: F401,E402  (first: the Keras backend and a quiet TensorFlow start)
