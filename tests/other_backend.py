"""Run by tests/test_backends.py under KERAS_BACKEND=tensorflow, then =torch: the same AdaIN
weights and batch as written by the test, twenty train steps, and one stylisation; VAE and GAN
one short fit each, then one epoch of train steps from the weights the TensorFlow run saved, with
every random number drawn by NumPy (the backends' generators differ) and Dropout off. Prints
RESULTS <json> for the test to compare across backends."""
import json
import sys

import common  # noqa: F401  (first)
import keras
import numpy as np

from adain.model import AdaINModel, build_decoder
from common.vgg import ADAIN_LAYERS, vgg19_features
from gan_dogs.model import GAN, build_discriminator, build_generator
from vae_mnist.train import build_vae

folder = sys.argv[1]
data = np.load(f"{folder}/batch.npz")
encoder = vgg19_features(ADAIN_LAYERS, pretrained=False)
encoder.load_weights(f"{folder}/encoder.weights.h5")
decoder = build_decoder()
decoder.load_weights(f"{folder}/decoder.weights.h5")
model = AdaINModel(encoder=encoder, decoder=decoder)
stylised = np.asarray(keras.ops.convert_to_numpy(model((data["content"][:1], data["style"][:1]))))
model.compile(optimizer=keras.optimizers.Adam(1e-4))
losses = [float(keras.ops.convert_to_numpy(model.train_step((data["content"], data["style"]))["loss"]))
          for _ in range(20)]

rng = np.random.default_rng(0)
x = np.zeros((64, 28, 28, 1), "float32")  # 'digit' d: a bar at rows 2d+4..2d+6, learnable
for i in range(64):
    x[i, 2 * (i % 10) + 4:2 * (i % 10) + 7, 4:24] = 1.0
vae = build_vae("mog", 3, 2, x, 0)
vae.compile(optimizer=keras.optimizers.Adam(3e-3))
vae_losses = vae.fit(x, epochs=4, batch_size=16, verbose=0).history["loss"]
gan = GAN(build_discriminator(16, spectral_norm=True), build_generator(8, 16), 8, augment=True,
          hinge=True, ema_decay=0.99)
gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
gan_history = gan.fit(rng.uniform(-1, 1, (32, 16, 16, 3)).astype("float32"), epochs=1,
                      batch_size=16, verbose=0).history


# One epoch of train steps from the same weights and the same random numbers on both backends
def numpy_draws(draw):
    """keras.random.normal / uniform drawn by one NumPy generator: the same on every backend."""
    def sample(shape, low=0.0, high=1.0, dtype=None, seed=None):
        return keras.ops.convert_to_tensor(draw(low, high, tuple(int(d) for d in shape)), "float32")
    return sample


def same_weights(model, name):
    """The TensorFlow run saves `model`'s weights; the torch run loads them."""
    path = f"{folder}/{name}.weights.h5"
    if keras.backend.backend() == "tensorflow":
        model.save_weights(path)
    else:
        model.load_weights(path)
    return model


draws = np.random.default_rng(1)
keras.random.normal, keras.random.uniform = numpy_draws(draws.normal), numpy_draws(draws.uniform)
keras.layers.Dropout.call = lambda self, inputs, training=False: inputs
vae = same_weights(build_vae("mog", 3, 2, x, 0), "vae")
vae.compile(optimizer=keras.optimizers.Adam(3e-3))
vae_steps = [float(keras.ops.convert_to_numpy(vae.train_step(x[i:i + 16])["loss"]))
             for i in range(0, 64, 16)]
discriminator = same_weights(build_discriminator(16, spectral_norm=True), "discriminator")
generator = same_weights(build_generator(8, 16), "generator")
gan = GAN(discriminator, generator, 8, augment=True, hinge=True, ema_decay=0.99)
gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
real = rng.uniform(-1, 1, (32, 16, 16, 3)).astype("float32")
gan_steps = [{k: float(keras.ops.convert_to_numpy(v)) for k, v in gan.train_step(real[i:i + 16]).items()}
             for i in (0, 16)]

np.save(f"{folder}/stylised_{keras.backend.backend()}.npy", stylised)
print("RESULTS " + json.dumps({"backend": keras.backend.backend(), "adain_losses": losses,
                               "vae_losses": vae_losses, "gan_d_loss": gan_history["d_loss"],
                               "vae_steps": vae_steps,
                               "gan_steps": [[s["d_loss"], s["g_loss"]] for s in gan_steps]}))
