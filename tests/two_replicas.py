"""Run by test_distribute.py in its own process: the CPU split into two logical devices stands for
two GPUs (TensorFlow must be told before it starts). Prints one JSON object of measurements."""
import json

import tensorflow as tf

tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                           [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from adain.model import AdaINModel  # noqa: E402
from common.vgg import ADAIN_LAYERS, vgg19_features  # noqa: E402
from common.distribute import ReplicaSeedGenerator  # noqa: E402
from gan_dogs.model import GAN, build_discriminator, build_generator  # noqa: E402
from vae_mnist.train import build_vae  # noqa: E402

TWO = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
ONE = tf.distribute.get_strategy()
rng = np.random.default_rng(0)
REAL = rng.uniform(-1, 1, (64, 16, 16, 3)).astype("float32")
BINARY = (rng.random((64, 28, 28, 1)) < 0.3).astype("float32")


def adain_update(strategy, content, style):
    """Decoder weights before and after one SGD step on a batch of content and style images
    (SGD: Adam's first step, about lr * sign(gradient), hides a wrong gradient scale)."""
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = AdaINModel(encoder=vgg19_features(ADAIN_LAYERS, pretrained=False), style_weight=1.0)
        model((content[:1], style[:1]))
        model.compile(optimizer=keras.optimizers.SGD(1e-7))
    before = model.decoder.get_weights()
    model.fit(tf.data.Dataset.from_tensors((content, style)), epochs=1, verbose=0)
    return before, model.decoder.get_weights()


def replica_draws(strategy):
    with strategy.scope():
        seeds = ReplicaSeedGenerator(7)
    draws = strategy.run(tf.function(lambda: keras.random.normal((3,), seed=seeds)))
    return [d.numpy().tolist() for d in strategy.experimental_local_results(draws)]


def first_epoch_losses(strategy, model_name):
    """Losses of one epoch at a negligible learning rate, from the same start on any strategy: on
    two replicas they must match one device up to the random draws (a wrongly scaled loss halves)."""
    keras.utils.set_random_seed(0)
    with strategy.scope():  # the order of gan_dogs.train and vae_mnist.train
        if model_name == "gan":
            model = GAN(build_discriminator(16), build_generator(8, 16), 8)
            model.compile(d_optimizer=keras.optimizers.Adam(1e-7), g_optimizer=keras.optimizers.Adam(1e-7))
            model(np.zeros((1, 8), "float32"))
        else:
            model = build_vae("mog", components=3, x_init=BINARY)
            model.compile(optimizer=keras.optimizers.Adam(1e-7))
    x = REAL if model_name == "gan" else BINARY
    return {k: float(v[0]) for k, v in model.fit(x, batch_size=16, epochs=1, verbose=0).history.items()}


results = {"replicas": TWO.num_replicas_in_sync}
pairs = rng.random((2, 4, 32, 32, 3), "float32")
(w1_before, w1_after), (w2_before, w2_after) = adain_update(ONE, *pairs), adain_update(TWO, *pairs)
results["adain_same_start"] = all(np.array_equal(a, b) for a, b in zip(w1_before, w2_before))
step1 = np.concatenate([(a - b).ravel() for a, b in zip(w1_after, w1_before)])
step2 = np.concatenate([(a - b).ravel() for a, b in zip(w2_after, w2_before)])
results["adain_step_norm"] = float(np.linalg.norm(step1))
results["adain_step_ratio"] = float(np.linalg.norm(step2) / np.linalg.norm(step1))
results["adain_step_difference"] = float(np.linalg.norm(step2 - step1) / np.linalg.norm(step1))

results["draws_two"] = replica_draws(TWO)
results["draws_one"] = replica_draws(ONE)
plain = keras.random.SeedGenerator(7)
results["draws_plain"] = keras.random.normal((3,), seed=plain).numpy().tolist()

for name in ("gan", "vae"):
    results[name] = {"one": first_epoch_losses(ONE, name), "two": first_epoch_losses(TWO, name)}
print("RESULTS " + json.dumps(results))
