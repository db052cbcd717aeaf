"""AdaIN style transfer network (Huang & Belongie, ICCV 2017): frozen VGG19 encoder f, AdaIN, decoder g.

    t = AdaIN(f(c), f(s)),   T(c, s) = g(t)
    L = L_c + lambda * L_s,  L_c = ||f(g(t)) - t||,
    L_s = sum_i ||mu(phi_i(g(t))) - mu(phi_i(s))|| + ||sigma(phi_i(g(t))) - sigma(phi_i(s))||
over phi_i = relu1_1, relu2_1, relu3_1, relu4_1 (assignment 3, question 2). As in the pytorch-AdaIN
reference, each norm is a mean squared error (nn.MSELoss), so the loss does not grow with the image size,
and the losses see the normalised VGG19's features (common.vgg), the network the reference loads.
"""
import warnings
from pathlib import Path

import keras
from keras import layers, ops

from adain.layers import AdaIN, ReflectionPadding2D, masked_adain, mean_std
from common.vgg import ADAIN_LAYERS, channel_scales, vgg19_features

# the reference's lambda: the losses are measured as it measures them (normalised VGG19 features)
DEFAULT_STYLE_WEIGHT = 10.0

# Mirror of VGG19 up to relu4_1: numbers are 3x3 conv filters, "up" a 2x nearest upsampling.
DECODER_PLAN = (256, "up", 256, 256, 256, 128, "up", 128, 64, "up", 64, 3)
# PyTorch's default conv init (kaiming_uniform, a=sqrt(5)), as the reference decoder starts: it
# shrinks activations layer by layer, so the untrained decoder outputs near-zero images. Keras's
# glorot_uniform keeps the scale of the relu4_1 features (hundreds with the Caffe VGG19), giving
# outputs in the hundreds and first losses around 1e12 that Adam at 1e-4 takes long to undo.
# A new initializer per layer: an unseeded Keras initializer draws its seed once, when it is
# made, so one shared module-level instance gave every conv of the same shape the same weights
# and ignored keras.utils.set_random_seed (made at import, before any seed is set).
def torch_conv_init():
    return keras.initializers.VarianceScaling(1.0 / 3.0, mode="fan_in", distribution="uniform")


def build_decoder(name="decoder"):
    """g: relu4_1 features (B, h, w, 512) -> image (B, 8h, 8w, 3); reflection padding, nearest
    upsampling, no normalisation, ReLU after every conv but the last (paper, section 6.1)."""
    x = inputs = keras.Input((None, None, 512), name="features")
    convs = [item for item in DECODER_PLAN if item != "up"]
    n_conv = 0
    for item in DECODER_PLAN:
        if item == "up":
            x = layers.UpSampling2D(2, interpolation="nearest")(x)
            continue
        n_conv += 1
        last = n_conv == len(convs)
        x = ReflectionPadding2D(1)(x)
        # the last layer gives the image in float32 even under a mixed-precision policy
        x = layers.Conv2D(item, 3, activation=None if last else "relu", name=f"conv{n_conv}",
                          kernel_initializer=torch_conv_init(), dtype="float32" if last else None)(x)
    return keras.Model(inputs, x, name=name)


def _mse(a, b):
    return ops.mean(ops.square(a - b))


class AdaINModel(keras.Model):
    """Frozen encoder + AdaIN + trainable decoder; `fit` trains the decoder on (content, style) batches.

    `model((content, style), alpha=a)` stylises; `style` may be a list of style batches, mixed
    with `interp_weights` (style interpolation, paper section 7.3). Images are RGB in [0, 1].
    """

    def __init__(self, encoder=None, decoder=None, style_weight=DEFAULT_STYLE_WEIGHT, content_weight=1.0,
                 vgg_weights=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder or vgg19_features(ADAIN_LAYERS, weights_path=vgg_weights)
        self.encoder.trainable = False
        self.decoder = decoder or build_decoder()
        self.adain = AdaIN(name="adain", dtype="float32")  # statistics in float32 (see encode)
        self.style_weight = style_weight
        self.content_weight = content_weight
        # the losses' features are the normalised VGG19's (the encoder's divided by these); the
        # decoder still reads the encoder's own relu4_1, so decoders trained before stay valid
        self.feature_scales = [ops.convert_to_tensor(s) for s in channel_scales(ADAIN_LAYERS)]
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("loss", "content_loss", "style_loss")}
        # encoder and decoder are built functional models and AdaIN has no weights: nothing is
        # left to build, and a trainer must not build by calling the model on a training batch
        # (the torch trainer would call it on the content images alone)
        self.adain.built = self.built = True

    @property
    def metrics(self):
        return list(self.trackers.values())

    def encode(self, images):
        """f(x) at relu1_1..relu4_1, as float32: under mixed_bfloat16 the convolutions run in
        bfloat16, but means, variances and losses in bfloat16 would be off by tens of percent."""
        return [ops.cast(f, "float32") for f in self.encoder(images)]

    def transfer_features(self, content, styles, alpha=1.0, interp_weights=None, regions=None):
        """t for content and style images (one style batch, or a list of them to mix): see
        mix_features."""
        if not isinstance(styles, (list, tuple)):
            styles = [styles]
        return self.mix_features(self.encode(content)[-1], [self.encode(s)[-1] for s in styles],
                                 alpha, interp_weights, regions)

    def mix_features(self, content_feat, style_feats, alpha=1.0, interp_weights=None, regions=None):
        """t = alpha * sum_k w_k AdaIN(f(c), f(s_k)) + (1 - alpha) * f(c)  (paper eq. 12 and 13),
        from relu4_1 features: a style encoded once serves any number of contents and alphas.
        With `regions` (B, H, W, 1) in [0, 1] and two styles: the first style where it is white,
        the second where it is black, each by masked_adain (spatial control, section 7.4). (Not
        named `mask`: Keras gives a call's `mask` argument a meaning of its own.)"""
        if regions is not None:
            if len(style_feats) != 2:
                raise ValueError(f"a region mask needs two styles, got {len(style_feats)}")
            size = ops.shape(content_feat)[1:3]
            foreground = ops.cast(ops.image.resize(regions, size) > 0.5, "float32")
            t = sum(masked_adain(content_feat, style_feat, region)
                    for style_feat, region in zip(style_feats, (foreground, 1.0 - foreground)))
            return alpha * t + (1.0 - alpha) * content_feat
        weights = interp_weights or [1.0] * len(style_feats)
        if len(weights) != len(style_feats):
            raise ValueError(f"{len(weights)} interpolation weights for {len(style_feats)} styles")
        total = float(sum(weights))
        t = sum((w / total) * self.adain([content_feat, style_feat])
                for w, style_feat in zip(weights, style_feats))
        return alpha * t + (1.0 - alpha) * content_feat

    def call(self, inputs, alpha=1.0, interp_weights=None, regions=None):
        content, styles = inputs
        return self.decoder(self.transfer_features(content, styles, alpha, interp_weights, regions))

    def compute_losses(self, content, style, output=None):
        """(total, content, style) loss of one batch, as in the reference's net.py; `output`
        replaces g(t) (to score a baseline such as the unchanged content image)."""
        style_feats = self.encode(style)
        t = self.adain([self.encode(content)[-1], style_feats[-1]])
        out_feats = self.encode(self.decoder(t) if output is None else output)
        scales = self.feature_scales
        out_feats = [f * scale for f, scale in zip(out_feats, scales)]
        content_loss = _mse(out_feats[-1], t * scales[-1])
        style_loss = 0.0
        for out_f, style_f, scale in zip(out_feats, style_feats, scales):
            out_mean, out_std = mean_std(out_f)
            style_mean, style_std = mean_std(style_f * scale)
            style_loss += _mse(out_mean, style_mean) + _mse(out_std, style_std)
        total = self.content_weight * content_loss + self.style_weight * style_loss
        return total, content_loss, style_loss

    def _record(self, losses):
        for tracker, value in zip(self.trackers.values(), losses):
            tracker.update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        from common.distribute import replica_loss
        from common.gradients import descend

        content, style = data

        def loss():
            losses = self.compute_losses(content, style)
            return replica_loss(losses[0]), losses
        _, losses = descend(self.optimizer, self.decoder.trainable_variables, loss)
        return self._record(losses)

    def test_step(self, data):
        return self._record(self.compute_losses(*data))

    def get_config(self):
        return {**super().get_config(), "style_weight": self.style_weight,
                "content_weight": self.content_weight}


def load_decoder(path):
    """A decoder with the weights of `path` (a decoder_*.weights.h5); UserError if unusable."""

    from common.cli import UserError, existing_file

    if not Path(path).exists():
        raise UserError(f"decoder weights {path} not found (train with python -m adain.train; "
                        "checkpoints are runs/adain/<run>/decoder_*.weights.h5)")
    existing_file(path, "decoder weights")
    decoder = build_decoder()
    try:
        with warnings.catch_warnings():  # a wrong file also warns, at length, before it raises
            warnings.simplefilter("ignore")
            decoder.load_weights(path)
    except Exception as err:  # h5py/Keras raise many types for a wrong or broken file  # noqa: BLE001
        raise UserError(f"cannot load decoder weights from {path}: {str(err).splitlines()[0]}") from err
    return decoder


def newest_decoder(root="runs/adain"):
    """The most recently written decoder_final.weights.h5 under `root` (any run), or None."""

    found = sorted(Path(root).glob("**/decoder_final.weights.h5"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None
