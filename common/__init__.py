"""Code shared by two or more assignment packages."""
import os

# Before TensorFlow is imported anywhere: the TensorFlow backend, and no INFO chatter at import.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
