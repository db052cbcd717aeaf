"""Convolutional autoencoder: image (S, S, 3) in [0, 1] -> latent c of exactly 8x8x16 -> image.

Question 2 (1) fixes c at 8x8x16 = 1024 numbers (12x fewer than a 64x64x3 image). The encoder
halves the resolution with stride-2 convolutions until 8x8 and ends in a linear 3x3 convolution
to 16 channels; the decoder mirrors it with stride-2 transposed convolutions and a sigmoid output.
With `noise_variance` set, the encoder ends in PowerNormalizeNoise (question 2 (5)): its codes are
power-normalised, and noise is added to them during training only.
"""
import math

import keras
from keras import layers

from ae_dogs.layers import PowerNormalizeNoise

LATENT_SHAPE = (8, 8, 16)


def downsamplings(image_size):
    """How many 2x steps take image_size down to the 8x8 latent (image_size = 8 * 2^k, k >= 1)."""
    steps = math.log2(image_size / LATENT_SHAPE[0])
    if image_size < 16 or steps != int(steps):
        raise ValueError(f"image size must be 8 times a power of two (16, 32, 64, 128, ...), "
                         f"got {image_size}")
    return int(steps)


def widths(image_size):
    """Channels after each stride-2 step, from the image towards the latent: 32, 64, 128 for 64 px."""
    return [min(32 * 2 ** i, 256) for i in range(downsamplings(image_size))]


def build_encoder(image_size=64, noise_variance=None, seed=None):
    image = keras.Input((image_size, image_size, 3), name="image")
    x = image
    for channels in widths(image_size):
        x = layers.Conv2D(channels, 4, strides=2, padding="same", activation="relu")(x)
    # the codes in float32 under mixed_bfloat16: their Gaussian fits and power normalisation
    codes = layers.Conv2D(LATENT_SHAPE[-1], 3, padding="same", name="latent", dtype="float32")(x)
    if noise_variance is not None:
        codes = PowerNormalizeNoise(noise_variance, seed=seed, name="power_normalize_noise",
                                    dtype="float32")(codes)
    return keras.Model(image, codes, name="encoder")


def build_decoder(image_size=64):
    codes = keras.Input(LATENT_SHAPE, name="latent_code")
    steps = widths(image_size)[::-1]
    x = layers.Conv2D(steps[0], 3, padding="same", activation="relu")(codes)
    for channels in steps[1:] + [16]:
        x = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="relu")(x)
    image = layers.Conv2D(3, 3, padding="same", activation="sigmoid", name="reconstruction",
                          dtype="float32")(x)
    return keras.Model(codes, image, name="decoder")


def build_autoencoder(image_size=64, noise_variance=None, learning_rate=1e-3, seed=None):
    """(autoencoder, encoder, decoder); the autoencoder is compiled with MSE and Adam."""
    encoder = build_encoder(image_size, noise_variance, seed)
    decoder = build_decoder(image_size)
    image = keras.Input((image_size, image_size, 3), name="image")
    autoencoder = keras.Model(image, decoder(encoder(image)), name="autoencoder")
    autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    return autoencoder, encoder, decoder
