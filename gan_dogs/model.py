"""DCGAN generator and discriminator (Radford et al. 2016) and the GAN that trains them with `fit`.

Follows the keras-io DCGAN example: a subclassed `keras.Model` with its own
`compile(d_optimizer, g_optimizer, loss_fn)` and a `train_step` that first updates the
discriminator on real and generated images, then the generator through the frozen discriminator.
"""
import functools
import math

import keras
from keras import layers, ops

from common.distribute import ReplicaSeedGenerator, replica_loss
from common.gradients import descend
from common.vgg import vgg19_features
from gan_dogs.augment import diff_augment


def upsamplings(image_size):
    """How many 2x steps take a 4x4 map to image_size (a power of two, at least 16)."""
    steps = math.log2(image_size / 4)
    if image_size < 16 or steps != int(steps):
        raise ValueError(f"image size must be a power of two >= 16, got {image_size}")
    return int(steps)


def build_generator(latent_dim=128, image_size=64, upconv=False):
    """z (latent_dim) -> image (S, S, 3) in [-1, 1]: dense to 4x4 (512 channels for S = 64), then
    stride-2 transposed convolutions halving the channels (256, 128, 64), BN + ReLU, tanh output.
    `upconv` instead doubles the size by nearest-neighbour upsampling and follows it with two 3x3
    convolutions, each with BN + ReLU (256, 128, 64, 32 channels), then a 3x3 convolution to RGB:
    the generator blocks of SN-GAN and BigGAN without their skip connections, twice the depth, and
    no transposed convolution to print a pattern aligned to the 4x4 start (Odena et al. 2016)."""
    steps = upsamplings(image_size)
    channels = 64 * 2 ** (steps - 1)
    z = keras.Input((latent_dim,), name="z")

    def bn_relu(x):
        return layers.ReLU()(layers.BatchNormalization(momentum=0.9)(x))

    x = bn_relu(layers.Dense(4 * 4 * channels, use_bias=False)(z))
    x = layers.Reshape((4, 4, channels))(x)
    if upconv:
        for _ in range(steps):
            channels //= 2
            x = layers.UpSampling2D()(x)
            for _ in range(2):
                x = bn_relu(layers.Conv2D(channels, 3, padding="same", use_bias=False)(x))
        image = layers.Conv2D(3, 3, padding="same", activation="tanh", dtype="float32")(x)
    else:
        for _ in range(steps - 1):
            channels //= 2
            x = bn_relu(layers.Conv2DTranspose(channels, 4, strides=2, padding="same",
                                               use_bias=False)(x))
        image = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh",
                                       dtype="float32")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(image_size=64, spectral_norm=False, vision=False, vgg_weights=None):
    """image (S, S, 3) in [-1, 1] -> one logit (real > 0): stride-2 convolutions with LeakyReLU
    down to 4x4 (64, 128, 256, 512 channels for S = 64). No batch norm, as in keras-io's DCGAN,
    so that a batch of real and generated images can go through it together. `spectral_norm`
    divides each layer's kernel by its largest singular value (Miyato et al. 2018): the
    discriminator stays 1-Lipschitz and cannot sharpen into a memorising classifier.
    `vision` adds a second logit from a small head on frozen ImageNet VGG19 relu3_1 features
    (vision-aided GAN, Kumari et al. 2022): pretrained features tell dogs from blobs long before
    a discriminator trained on 3,600 photos can."""

    def wrap(layer):  # short names: the printed structure in the report stays readable
        if not spectral_norm:
            return layer
        return layers.SpectralNormalization(layer, name=f"sn_{layer.name}", dtype=layer.dtype_policy)

    steps = upsamplings(image_size)
    image = keras.Input((image_size, image_size, 3), name="image")
    x = image
    for i in range(steps):
        x = wrap(layers.Conv2D(64 * 2 ** i, 4, strides=2, padding="same", name=f"conv{i + 1}"))(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    if not spectral_norm:
        x = layers.Dropout(0.2)(x)
    logits = [wrap(layers.Dense(1, name="logit", dtype="float32"))(x)]
    if vision:
        vgg = vgg19_features(["relu3_1"], weights_path=vgg_weights, name="vgg19_relu3_1")
        [x] = vgg(layers.Rescaling(0.5, offset=0.5)(image))  # S/4 x S/4 x 256
        # ReLU features run into the hundreds, beyond what spectral normalisation bounds:
        # normalise each position's feature vector (no trained scale)
        x = layers.LayerNormalization(center=False, scale=False)(x)
        for i in range(steps - 2):
            channels = 256 * 2 ** min(i, 1)
            x = wrap(layers.Conv2D(channels, 4, strides=2, padding="same", name=f"vgg_conv{i + 1}"))(x)
            x = layers.LeakyReLU(0.2)(x)
        logits.append(wrap(layers.Dense(1, name="vgg_logit", dtype="float32"))(layers.Flatten()(x)))
    logit = layers.Concatenate(name="logits", dtype="float32")(logits) if vision else logits[0]
    return keras.Model(image, logit, name="discriminator")


class GAN(keras.Model):
    """Trains `generator` and `discriminator` against each other; fit(x) with x real images in
    [-1, 1]. Logs d_loss, g_loss, and the discriminator's mean probability of 'real' for real
    (real_score) and generated (fake_score) images.

    The data-efficient options (`--arch recipe` of gan_dogs.train): `augment`, a
    probability (0: off), puts that share of the real and generated images through DiffAugment
    before the discriminator; `hinge` uses the hinge loss
    (with a spectrally normalised discriminator); `ema_decay` keeps `ema_generator`, an
    exponential moving average of the generator's weights, which is what `call` samples from."""

    def __init__(self, discriminator, generator, latent_dim, seed=0, augment=0.0, hinge=False,
                 ema_decay=None, **kwargs):
        super().__init__(**kwargs)
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
        self.seed_generator = ReplicaSeedGenerator(seed)
        self.augment, self.hinge, self.ema_decay = augment, hinge, ema_decay
        self.ema_generator = None
        if ema_decay:
            self.ema_generator = keras.models.clone_model(generator)
            self.ema_generator.set_weights(generator.get_weights())
            self.ema_generator.trainable = False
        # the networks are built functional models: a trainer must not build the GAN by calling
        # it on a batch of real images (the torch trainer would)
        self.built = True

    def compile(self, d_optimizer, g_optimizer, loss_fn=None):
        """loss_fn(labels, logits) -> one loss per image (default: binary cross-entropy on logits).
        Per image, not a keras Loss object: those average and divide by the number of GPUs
        themselves, which replica_loss does here once for all the losses."""
        # no optimizer of Keras's own (its default would be an unused RMSprop): TensorBoard would
        # log its learning rate, 0.001, as the GAN's, and a continued run would build it before
        # loading the backup and warn that the saved one has other variables
        super().compile(optimizer=None)
        loss_fn = loss_fn or functools.partial(keras.losses.binary_crossentropy, from_logits=True)
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn
        # the optimizers' moments are made here, in the strategy's scope: under MirroredStrategy
        # they cannot be created inside the train step (the networks are functional: built)
        d_optimizer.build(self.discriminator.trainable_variables)
        g_optimizer.build(self.generator.trainable_variables)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("d_loss", "g_loss", "real_score", "fake_score")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, z, training=False):
        return (self.ema_generator or self.generator)(z, training=training)

    def _discriminate(self, images):
        if self.augment:
            images = diff_augment(images, self.seed_generator, self.augment)
        return self.discriminator(images, training=True)

    def _update_ema(self):
        """Average the trained weights; the BatchNorm statistics are not averaged but measured
        again on the average (refresh_ema_statistics). The decay warms up as in TensorFlow's
        ExponentialMovingAverage, min(decay, (1 + t) / (10 + t)) after t generator steps: a run
        of a few thousand steps would otherwise keep 0.999^2500 = 8 % of the random start."""
        t = ops.cast(self.g_optimizer.iterations, "float32")
        decay = ops.minimum(self.ema_decay, (1.0 + t) / (10.0 + t))
        for average, weight in zip(self.ema_generator.weights, self.generator.weights):
            if weight.trainable:
                average.assign(decay * average + (1.0 - decay) * weight)

    def refresh_ema_statistics(self, batches=30, batch_size=64):
        """Measure the EMA generator's BatchNorm statistics on its own activations ("standing
        statistics", Brock et al. 2019, BigGAN): the average of the trained generator's
        statistics is not the statistics of the averaged weights. 30 batches at momentum 0.9
        leave 4 % of the old values."""
        self.ema_generator.trainable = True  # a frozen BatchNorm would not update its statistics
        for _ in range(batches):
            self.ema_generator(self.sample_latents(batch_size), training=True)
        self.ema_generator.trainable = False

    def sample_latents(self, n):
        return keras.random.normal((n, self.latent_dim), seed=self.seed_generator)

    def train_step(self, real_images):
        n = ops.shape(real_images)[0]
        # no gradient to the generator from the discriminator's step
        fake_images = ops.stop_gradient(self.generator(self.sample_latents(n), training=True))
        images = ops.concatenate([real_images, fake_images], axis=0)
        heads = self.discriminator.output_shape[-1]  # one logit per head (2 with the VGG head)
        labels = ops.concatenate([ops.ones((n, heads)), ops.zeros((n, heads))], axis=0)
        # Label noise as in keras-io's DCGAN (targets up to 0.05 inside [0, 1]): keeps the
        # discriminator from becoming over-confident early
        noise = 0.05 * keras.random.uniform(ops.shape(labels), seed=self.seed_generator)
        noisy_labels = labels + noise * (1.0 - 2.0 * labels)
        def discriminator_loss():
            logits = self._discriminate(images)
            if self.hinge:  # E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]
                loss = ops.mean(ops.relu(1.0 - logits[:n])) + ops.mean(ops.relu(1.0 + logits[n:]))
            else:
                loss = ops.mean(self.loss_fn(noisy_labels, logits))
            return replica_loss(loss), loss, logits
        _, d_loss, logits = descend(self.d_optimizer, self.discriminator.trainable_weights,
                                    discriminator_loss)

        # Generator step: make the discriminator call new fakes real (non-saturating loss)
        def generator_loss():
            fake_logits = self._discriminate(self.generator(self.sample_latents(n), training=True))
            if self.hinge:  # -E[D(G(z))]
                loss = -ops.mean(fake_logits)
            else:
                loss = ops.mean(self.loss_fn(ops.ones((n, heads)), fake_logits))
            return replica_loss(loss), loss
        _, g_loss = descend(self.g_optimizer, self.generator.trainable_weights, generator_loss)
        if self.ema_generator is not None:
            self._update_ema()

        scores = ops.sigmoid(logits)
        for name, value in (("d_loss", d_loss), ("g_loss", g_loss),
                            ("real_score", ops.mean(scores[:n])),
                            ("fake_score", ops.mean(scores[n:]))):
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}
