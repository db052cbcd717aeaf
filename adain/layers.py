"""The two layers AdaIN needs beyond stock Keras: AdaIN itself and reflection padding.

Statistics convention (stated once, used everywhere, tested against NumPy in tests/test_adain.py):
per sample and per channel over the spatial axes, mu = mean, sigma = sqrt(var + EPSILON) with the
population (biased, ddof=0) variance and EPSILON = 1e-5 added inside the square root, so that a
flat feature map gives no division by zero.
"""
import keras
from keras import layers, ops

EPSILON = 1e-5


def mean_std(x, epsilon=EPSILON):
    """Per-sample, per-channel mean and std over the spatial axes of (B, H, W, C), kept as (B, 1, 1, C)."""
    mean, var = ops.moments(x, axes=(1, 2), keepdims=True)
    return mean, ops.sqrt(var + epsilon)


def masked_adain(content, style, mask, epsilon=EPSILON):
    """AdaIN inside one region (paper section 7.4, spatial control): where `mask` (B, H, W, 1) is 1
    the content features take the style's mean and std, the content's own statistics being taken
    over that region only; outside it the result is 0, so the regions of a partition add up. An
    all-ones mask gives AdaIN(content, style) exactly."""
    area = ops.maximum(ops.sum(mask, axis=(1, 2), keepdims=True), 1.0)  # an empty region: no NaN
    c_mean = ops.sum(content * mask, axis=(1, 2), keepdims=True) / area
    c_var = ops.sum(ops.square(content - c_mean) * mask, axis=(1, 2), keepdims=True) / area
    s_mean, s_std = mean_std(style, epsilon)
    return (s_std * (content - c_mean) / ops.sqrt(c_var + epsilon) + s_mean) * mask


@keras.saving.register_keras_serializable(package="adain")
class AdaIN(layers.Layer):
    """AdaIN(x, y) = sigma(y) * (x - mu(x)) / sigma(x) + mu(y)  (Huang & Belongie 2017, eq. 8).

    Inputs [content_features, style_features] may differ in height and width; the output has the
    content's shape and the style's per-channel mean and std.
    """

    def __init__(self, epsilon=EPSILON, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def call(self, inputs):
        content, style = inputs
        c_mean, c_std = mean_std(content, self.epsilon)
        s_mean, s_std = mean_std(style, self.epsilon)
        return s_std * (content - c_mean) / c_std + s_mean

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="adain")
class ReflectionPadding2D(layers.Layer):
    """Mirror-pad height and width by `padding` pixels (the paper's decoder pads this way to avoid
    border artefacts that zero padding leaves)."""

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = padding

    def call(self, x):
        p = self.padding
        return ops.pad(x, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        grow = lambda n: None if n is None else n + 2 * self.padding  # noqa: E731
        return (b, grow(h), grow(w), c)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
