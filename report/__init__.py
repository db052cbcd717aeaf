import common  # noqa: F401  (first: the Keras backend and a quiet TensorFlow start)
