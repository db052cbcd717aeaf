"""Run by tests/test_backends.py under KERAS_BACKEND=torch (and =tensorflow): the same AdaIN
weights and batch as written by the test, three train steps, and one stylisation; VAE and GAN
one short fit each. Prints RESULTS <json> for the test to compare across backends."""
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
          for _ in range(3)]

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
np.save(f"{folder}/stylised_{keras.backend.backend()}.npy", stylised)
print("RESULTS " + json.dumps({"backend": keras.backend.backend(), "adain_losses": losses,
                               "vae_losses": vae_losses, "gan_d_loss": gan_history["d_loss"]}))
