"""DCGAN on dog photos with FID: assignment 5 (2023 edition), question 2."""

import common  # noqa: F401,E402  (first: the Keras backend and a quiet TensorFlow start)
