"""Dense autoencoder on MNIST: assignment 3 (2025) question 1, and the L2 part of the 2023 edition."""

import common  # noqa: F401,E402  (first: the Keras backend and a quiet TensorFlow start)
