"""Training on several GPUs with `tf.distribute.MirroredStrategy`.

Every trainer builds and compiles its model inside `training_strategy().scope()`; `fit` then
splits each batch over the GPUs. The batch size stays the global one, so results per epoch match a
one-GPU run. Custom `train_step`s need two things the built-in losses do for themselves:
- `replica_loss` (inside the GradientTape): the optimizer SUMS the replicas' gradients, so each
  replica's mean loss is divided by the number of replicas to get the global-batch mean's gradient;
- `ReplicaSeedGenerator`: a plain `keras.random.SeedGenerator` gives every replica the same
  numbers, so two GPUs would generate each GAN fake twice.
On one device (or none) all three change nothing. MirroredStrategy is TensorFlow's: on Keras's torch
backend training uses one device (the first GPU, if any).
"""
import functools

import keras
import tensorflow as tf


def gpu_count():
    """How many GPUs the Keras backend sees (0 on a laptop without CUDA)."""
    if keras.backend.backend() == "torch":
        import torch
        return torch.cuda.device_count()
    return len(tf.config.list_physical_devices("GPU"))


@functools.cache  # one strategy per process: ae_mnist and ae_dogs train several models in a run
def training_strategy():
    """MirroredStrategy over all visible GPUs when there are two or more, else the default one
    (whose scope changes nothing, on any backend)."""
    if keras.backend.backend() != "tensorflow":
        if gpu_count() > 1:
            print(f"training on one of {gpu_count()} GPUs: several GPUs need the TensorFlow backend")
        return tf.distribute.get_strategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) < 2:
        return tf.distribute.get_strategy()
    print(f"training on {len(gpus)} GPUs (tf.distribute.MirroredStrategy)")
    return tf.distribute.MirroredStrategy()


def replica_loss(loss):
    """The share of a replica's mean `loss` that makes the summed gradients those of the mean."""
    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


class ReplicaSeedGenerator(keras.random.SeedGenerator):
    """A SeedGenerator whose draws differ between replicas (and equal the plain one's on one)."""

    def next(self, ordered=True):
        seed = super().next(ordered)
        context = tf.distribute.get_replica_context()
        if context is None or context.num_replicas_in_sync == 1:
            return seed
        # the state steps through [s, k], [s, k + 1], ...: offsetting s keeps replicas' seeds apart
        replica = tf.cast(context.replica_id_in_sync_group, seed.dtype)
        return seed + tf.stack([replica, tf.zeros_like(replica)])
