"""The project's one VGG19 feature extractor (used by adain, gatys and gan_dogs).

Frozen ImageNet VGG19 conv layers with the Caffe preprocessing inside, so that inputs are RGB
images in [0, 1] of any size. Each named output is the ReLU activation of that conv layer:
Keras's `block4_conv1` is the paper's `relu4_1`.

The style losses use the *normalised* VGG19 of Gatys et al. (2016), whose filters are rescaled so
that each one's mean activation over images and positions is one (the network that the AdaIN
reference code loads too): with the Caffe weights as they are, relu4_1 activations are about 20
times relu1_1's, and a loss of squared features summed over layers is relu4_1's alone. Dividing
each channel by its mean activation gives that network's features exactly (ReLU commutes with
positive scaling); the means, over 256 photos and 256 paintings, are in vgg19_channel_means.npz
beside this file (`python -m common.vgg --help` measures them again).
"""
import argparse
import re
from pathlib import Path

import keras
import numpy as np
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


CHANNEL_MEANS = Path(__file__).with_name("vgg19_channel_means.npz")


def channel_scales(layer_names):
    """Per layer, 1 / (each channel's mean activation): features times these are the normalised
    VGG19's (module docstring)."""
    with np.load(CHANNEL_MEANS) as means:
        return [(1.0 / means[layer_name(name)]).astype("float32") for name in layer_names]


def measure_channel_means(images, batch_size=8, pretrained=True):
    """{layer: mean activation of each channel over the images and positions}, all 16 layers;
    a channel that never fires keeps mean 1 (dividing by ~0 would blow up the next image)."""
    model = vgg19_features(VGG19_LAYERS, pretrained=pretrained, name="vgg19_all")
    sums = [np.zeros(filters, "float64") for filters, n in VGG19_BLOCKS for _ in range(n)]
    for start in range(0, len(images), batch_size):
        for total, features in zip(sums, model.predict(images[start:start + batch_size], verbose=0)):
            total += features.mean(axis=(1, 2)).sum(axis=0)
    means = [total / len(images) for total in sums]
    return {name: np.where(m > 1e-6, m, 1.0).astype("float32") for name, m in zip(VGG19_LAYERS, means)}


def main(argv=None):
    from common.cli import HelpFormatter, positive
    from common.images import load_image_folder
    parser = argparse.ArgumentParser(prog="python -m common.vgg", formatter_class=HelpFormatter,
                                     description=(
        "Measure the VGG19's mean activation per channel (the normalisation of the style "
        "losses) on photos and paintings and write them to common/vgg19_channel_means.npz."))
    parser.add_argument("folders", nargs="+", help="image folders, e.g. DATA/adain_train/content "
                                                   "DATA/adain_train/style")
    parser.add_argument("--per-folder", type=positive(int), default=256,
                        help="images from each folder (a seeded random subset)")
    parser.add_argument("--size", type=positive(int), default=256,
                        help="short side, centre-cropped square")
    parser.add_argument("--out", type=Path, default=CHANNEL_MEANS, help="the .npz to write")
    args = parser.parse_args(argv)
    images = np.concatenate([load_image_folder(folder, args.size, args.per_folder, seed=0)[0]
                             for folder in args.folders]).astype("float32") / 255.0
    means = measure_channel_means(images)
    np.savez(args.out, **means)
    for name, m in means.items():
        print(f"{name}: mean {m.mean():.2f}, smallest {m.min():.3g}, largest {m.max():.3g}")


if __name__ == "__main__":
    from common.cli import run_cli
    run_cli(main)
