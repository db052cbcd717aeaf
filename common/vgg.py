"""The project's one VGG19 feature extractor (used by adain and gatys).

Frozen ImageNet VGG19 conv layers with the Caffe preprocessing inside, so that inputs are RGB
images in [0, 1] of any size. Each named output is the ReLU activation of that conv layer:
Keras's `block4_conv1` is the paper's `relu4_1`.
"""
import re

import keras
from keras import layers, ops

from common.assets import set_vgg19_weights

VGG19_BLOCKS = [(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)]  # (filters, conv layers)
VGG19_LAYERS = [f"block{b}_conv{c}" for b, (_, n) in enumerate(VGG19_BLOCKS, 1) for c in range(1, n + 1)]
ADAIN_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1")  # relu1_1 .. relu4_1

# Keras VGG19 weights expect Caffe input: BGR, 0..255, minus the ImageNet channel means.
_BGR_MEAN = (103.939, 116.779, 123.68)


def layer_name(name):
    """'relu4_1', 'conv4_1' or 'block4_conv1' -> 'block4_conv1'; ValueError for unknown names."""
    match = re.fullmatch(r"(?:relu|conv)(\d)_(\d)", name)
    keras_name = f"block{match[1]}_conv{match[2]}" if match else name
    if keras_name not in VGG19_LAYERS:
        raise ValueError(f"unknown VGG19 layer {name!r}; use reluB_C or blockB_convC, one of "
                         f"{', '.join(VGG19_LAYERS)}")
    return keras_name


@keras.saving.register_keras_serializable(package="adain")
class CaffePreprocess(layers.Layer):
    """RGB in [0, 1] -> BGR in 0..255 minus the ImageNet means (what the VGG19 weights expect)."""

    def call(self, x):
        bgr = ops.flip(x, axis=-1) * 255.0
        return bgr - ops.convert_to_tensor(_BGR_MEAN, dtype=bgr.dtype)


def vgg19_features(layer_names=ADAIN_LAYERS, weights_path=None, pretrained=True, name="vgg19_encoder"):
    """A frozen functional model: image (B, H, W, 3) in [0, 1] -> list of the named ReLU outputs.

    Only the layers up to the deepest requested one are built. `weights_path` overrides the
    asset resolution of common.assets; pretrained=False keeps random weights
    (for fast tests).
    """
    wanted = [layer_name(n) for n in layer_names]
    last = max(VGG19_LAYERS.index(n) for n in wanted)
    inputs = keras.Input((None, None, 3), name="image")
    x = CaffePreprocess(name="caffe_preprocess")(inputs)
    outputs = {}
    for block, (filters, n_convs) in enumerate(VGG19_BLOCKS, 1):
        for conv in range(1, n_convs + 1):
            lname = f"block{block}_conv{conv}"
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=lname)(x)
            outputs[lname] = x
            if lname == VGG19_LAYERS[last]:
                model = keras.Model(inputs, [outputs[n] for n in wanted], name=name)
                if pretrained:
                    set_vgg19_weights(model, weights_path)
                model.trainable = False
                return model
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
