"""The noisy 'channel' of question 2 (5): power normalisation, then additive Gaussian noise."""
import math

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="ae_dogs")
class PowerNormalizeNoise(layers.Layer):
    """c -> c / sqrt(mean(c^2)) per sample (unit average power), then + N(0, variance) in training.

    The assignment asks to power-normalise the latent code before adding noise so that a noise
    variance means the same signal-to-noise ratio whatever the encoder's scale (otherwise the
    encoder would simply learn to make its codes large and the noise irrelevant). The noise
    standard deviation is sqrt(variance) (assignment hint 3: torch.normal takes the std).
    Normalisation is always applied; the noise only while training, like keras.layers.GaussianNoise.
    """

    def __init__(self, variance, epsilon=1e-8, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.variance = float(variance)
        self.stddev = math.sqrt(self.variance)
        self.epsilon = epsilon
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, codes, training=False):
        axes = tuple(range(1, len(codes.shape)))
        power = ops.mean(ops.square(codes), axis=axes, keepdims=True)
        codes = codes / ops.sqrt(power + self.epsilon)
        if training and self.variance > 0:
            codes = codes + self.stddev * keras.random.normal(
                ops.shape(codes), seed=self.seed_generator, dtype=codes.dtype)
        return codes

    def get_config(self):
        return {**super().get_config(), "variance": self.variance, "epsilon": self.epsilon,
                "seed": self.seed}
