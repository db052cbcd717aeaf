"""gan_dogs and common/fid.py: the FID formula, the TorchScript reader, the DCGAN, the CLIs."""
import argparse
import collections
import csv
import io
import json
import pickle
import sys
import types
import zipfile

import h5py
import keras
import numpy as np
import pytest

import common.fid as fid_module
from common.cli import UserError, run_cli
from common.fid import (fid, fid_from_features, gaussian_stats, inception_features,
                        torchscript_constants)
from common.torch_files import read_torchscript
from common.vgg import vgg19_features
from gan_dogs import evaluate, train
from gan_dogs.model import GAN, build_discriminator, build_generator


# ----------------------------------------------------------------------------- FID formula

def features(n=400, d=6, shift=0.0, scale=1.0, seed=0):
    return np.random.default_rng(seed).normal(shift, scale, (n, d))


def test_fid_is_zero_for_identical_sets_and_symmetric():
    a, b = features(seed=0), features(shift=0.5, scale=2.0, seed=1)
    assert fid_from_features(a, a) == pytest.approx(0.0, abs=1e-8)
    assert fid_from_features(a, b) == pytest.approx(fid_from_features(b, a), rel=1e-9)
    assert fid_from_features(a, b) > 1.0


def test_fid_equals_closed_form_for_diagonal_gaussians():
    # For diagonal covariances S = diag(s^2): Tr(S1 + S2 - 2 sqrt(S1 S2)) = sum (s1 - s2)^2
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    s1, s2 = np.array([1.0, 2.0, 0.5]), np.array([3.0, 0.5, 0.5])
    # sum (mu1 - mu2)^2 + sum (s1 - s2)^2 = (1 + 0 + 6.25) + (4 + 2.25 + 0) = 13.5
    assert fid(mu1, np.diag(s1 ** 2), mu2, np.diag(s2 ** 2)) == pytest.approx(13.5, rel=1e-9)
    # the same two Gaussians in a rotated basis: FID is invariant under rotation
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))
    rotated = fid(q @ mu1, q @ np.diag(s1 ** 2) @ q.T, q @ mu2, q @ np.diag(s2 ** 2) @ q.T)
    assert rotated == pytest.approx(13.5, rel=1e-6)
    # and from samples of those Gaussians, approximately
    rng = np.random.default_rng(1)
    a, b = rng.normal(mu1, s1, (20000, 3)), rng.normal(mu2, s2, (20000, 3))
    assert fid_from_features(a, b) == pytest.approx(13.5, rel=0.03)


def test_fewer_images_than_dimensions_warns_and_stays_finite():
    a, b = features(n=10, d=20, seed=0), features(n=10, d=20, shift=1.0, seed=1)
    with pytest.warns(UserWarning, match="10 images but 20 feature dimensions"):
        value = fid_from_features(a, b)
    assert np.isfinite(value) and value > 0
    with pytest.raises(ValueError):
        gaussian_stats(a[:1])


def test_fid_shifts_singular_covariances_when_the_square_root_fails(monkeypatch):
    import scipy.linalg
    real_sqrtm, calls = scipy.linalg.sqrtm, []

    def failing_once(matrix):  # what sqrtm can return for a singular S_x S_g
        calls.append(matrix)
        return np.full_like(matrix, np.nan) if len(calls) == 1 else real_sqrtm(matrix)
    monkeypatch.setattr(scipy.linalg, "sqrtm", failing_once)
    s1, s2 = np.diag([1.0, 4.0]), np.diag([9.0, 1.0])
    # tr S1 + tr S2 - 2 tr sqrt((S1 + eps I)(S2 + eps I)) = 5 + 10 - 2 (3 + 2), up to eps
    assert fid(np.zeros(2), s1, np.zeros(2), s2, eps=1e-6) == pytest.approx(5.0, abs=1e-4)
    assert len(calls) == 2 and np.allclose(calls[1], (s1 + 1e-6 * np.eye(2)) @ (s2 + 1e-6 * np.eye(2)))


# ----------------------------------------------------------------------------- TorchScript reader

def write_torchscript(path, root, code):
    """A minimal TorchScript-style zip (data.pkl with persistent storages, data/<key>, code/),
    written with fake `torch` and `__torch__` modules so that pickle emits the same GLOBALs (only
    while pickling: Keras's torch backend needs the real torch)."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _write_torchscript(path, root, code, monkeypatch)


def _write_torchscript(path, root, code, monkeypatch):
    torch, utils, mods = (types.ModuleType(n) for n in ("torch", "torch._utils", "__torch__.m"))
    for module in (torch, utils, mods):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(sys.modules, "__torch__", types.ModuleType("__torch__"))
    torch.FloatStorage = type("FloatStorage", (), {"__module__": "torch"})

    def _rebuild_tensor_v2(*args):
        raise AssertionError("only pickled, never called")
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    storages = {}

    class Storage:
        def __init__(self, array):
            self.key = str(len(storages))
            storages[self.key] = np.ascontiguousarray(array, np.float32).tobytes()
            self.numel = array.size

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", torch.FloatStorage, obj.key, "cpu", obj.numel)
            return None

        def reducer_override(self, obj):
            if isinstance(obj, np.ndarray):
                stride = [s // 4 for s in obj.astype(np.float32).strides]
                return _rebuild_tensor_v2, (Storage(obj), 0, obj.shape, tuple(stride), False,
                                            collections.OrderedDict())
            return NotImplemented

    def module(name, **attrs):
        cls = type(name, (), {"__module__": "__torch__.m", "__reduce__":
                              lambda self: (type(self), (), dict(self.__dict__))})
        setattr(mods, name, cls)
        obj = cls()
        obj.__dict__.update(attrs)
        return obj

    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    weights = {"weight": rng.normal(size=(2, 3, 3, 3)).astype(np.float32),
               "beta": np.array([0.1, -0.2], np.float32),
               "mean": np.array([0.5, -0.5], np.float32), "var": np.array([4.0, 0.25], np.float32)}
    conv = module("Conv2dLayer", training=False, stride=2, padding=1, **weights)
    pool = module("MaxPool2d", training=False)
    tree = module("Wrap", net=module("Net", layers=module("Sequential", conv=conv, pool=pool)))
    Pickler(buffer, protocol=2).dump(tree)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{root}/data.pkl", buffer.getvalue())
        for key, raw in storages.items():
            archive.writestr(f"{root}/data/{key}", raw)
        archive.writestr(f"{root}/code/__torch__/m.py", code)
    return weights


POOL_CODE = """class MaxPool2d(Module):
  __parameters__ = []
  padding : Final[int] = 0
  kernel_size : Final[int] = 3
  stride : Final[int] = 2
  def forward(self, input):
    return input
"""


def test_torchscript_reader_and_keras_rebuild_match_numpy(tmp_path):
    path = tmp_path / "tiny.pt"
    weights = write_torchscript(path, "tiny_module", POOL_CODE)
    module, code = read_torchscript(path)
    conv = module.net.layers.conv
    assert conv.type_name == "__torch__.m.Conv2dLayer" and conv.stride == 2
    for name, value in weights.items():
        np.testing.assert_array_equal(getattr(conv, name), value)
    constants = torchscript_constants(code)
    assert constants["__torch__.m.MaxPool2d"] == {"padding": 0, "kernel_size": 3, "stride": 2}

    # The rebuilt Keras network against NumPy: conv (OIHW, stride 2, zero pad 1), inference
    # batch norm without scale (eps 1e-3), ReLU, 3x3 stride-2 max pooling
    net = fid_module._fid_inception(module, constants)
    x = np.random.default_rng(1).uniform(-1, 1, (1, 299, 299, 3)).astype(np.float32)
    padded = np.pad(x[0], ((1, 1), (1, 1), (0, 0)))
    w = weights["weight"]
    conv_out = sum(np.einsum("hwc,oc->hwo", padded[i:i + 299:2, j:j + 299:2], w[:, :, i, j])
                   for i in range(3) for j in range(3))
    bn = (conv_out - weights["mean"]) / np.sqrt(weights["var"] + 1e-3) + weights["beta"]
    act = np.maximum(bn, 0)                                      # 150 x 150 x 2
    pooled = np.max([act[i:i + 147:2, j:j + 147:2] for i in range(3) for j in range(3)], axis=0)
    np.testing.assert_allclose(net.predict(x, verbose=0)[0], pooled.reshape(-1), atol=1e-4)


# ----------------------------------------------------------------------------- DCGAN

def test_generator_and_discriminator_shapes():
    for size in (16, 32, 64):
        d = build_discriminator(size)
        for upconv in (False, True):
            g = build_generator(8, size, upconv=upconv)
            images = keras.ops.convert_to_numpy(g(np.random.default_rng(0).normal(size=(2, 8))))
            assert images.shape == (2, size, size, 3) and np.abs(images).max() <= 1.0
            assert d(images).shape == (2, 1)
            kinds = [type(layer).__name__ for layer in g.layers]
            if upconv:  # per 2x step one upsampling and two 3x3 convolutions, then one to RGB
                steps = int(np.log2(size // 4))
                assert kinds.count("UpSampling2D") == steps
                assert kinds.count("Conv2D") == 2 * steps + 1
                assert "Conv2DTranspose" not in kinds and g.layers[-1].kernel.shape == (3, 3, 32, 3)
            else:
                assert kinds.count("Conv2DTranspose") == int(np.log2(size // 4))
    with pytest.raises(ValueError, match="power of two"):
        build_generator(8, 48)


def test_discriminator_learns_to_tell_real_from_generated():
    keras.utils.set_random_seed(0)
    real = np.tile(np.linspace(-1, 1, 16, dtype="float32")[None, :, None, None], (64, 1, 16, 3))
    gan = GAN(build_discriminator(16), build_generator(8, 16), 8)
    gan.compile(keras.optimizers.Adam(1e-3, beta_1=0.5), keras.optimizers.Adam(1e-5, beta_1=0.5))
    history = gan.fit(real, batch_size=16, epochs=4, verbose=0).history
    assert history["d_loss"][-1] < history["d_loss"][0]
    assert history["real_score"][-1] > 0.5 > history["fake_score"][-1]


def test_spectral_normalisation_keeps_each_kernel_at_largest_singular_value_one():
    keras.utils.set_random_seed(0)
    discriminator = build_discriminator(16, spectral_norm=True)
    gan = GAN(discriminator, build_generator(8, 16), 8, hinge=True)
    gan.compile(keras.optimizers.Adam(2e-4), keras.optimizers.Adam(2e-4))
    real = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 3)).astype("float32")
    wrapped = [layer for layer in discriminator.layers
               if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3
    for layer in wrapped:  # start far from 1: each kernel's largest singular value made 4
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        layer.kernel.assign(4 * kernel / np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]),
                                                        compute_uv=False)[0])
    for _ in range(15):  # one power iteration per step refines each layer's estimate of sigma
        gan.train_step(real)
    for layer in wrapped:
        kernel = keras.ops.convert_to_numpy(layer.kernel)
        sigma = np.linalg.svd(kernel.reshape(-1, kernel.shape[-1]), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, abs=0.05), layer.name


def test_ema_generator_is_the_closed_form_average():
    decay, generator = 0.9, keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
    gan = GAN(build_discriminator(16), generator, 2, ema_decay=decay)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    gan.g_optimizer.iterations.assign(1000)  # past the warm-up: (1 + t) / (10 + t) > decay
    start = [w.copy() for w in generator.get_weights()]
    rng = np.random.default_rng(0)
    steps = [[rng.normal(size=w.shape).astype("float32") for w in start] for _ in range(5)]
    for weights in steps:
        generator.set_weights(weights)
        gan._update_ema()
    # after k updates: decay^k w_0 + (1 - decay) sum_i decay^(k - i) w_i
    k = len(steps)
    for j, average in enumerate(gan.ema_generator.get_weights()):
        closed_form = decay ** k * start[j] + sum((1 - decay) * decay ** (k - i) * steps[i - 1][j]
                                                  for i in range(1, k + 1))
        np.testing.assert_allclose(average, closed_form, rtol=1e-5, atol=1e-6)
    # in the warm-up the decay is (1 + t) / (10 + t): 2/11 after the first generator step
    gan.g_optimizer.iterations.assign(1)
    before = gan.ema_generator.get_weights()
    generator.set_weights(start)
    gan._update_ema()
    for average, old, new in zip(gan.ema_generator.get_weights(), before, start):
        np.testing.assert_allclose(average, 2 / 11 * old + 9 / 11 * new, rtol=1e-5, atol=1e-6)


def test_ema_batchnorm_statistics_are_measured_on_the_averaged_generator():
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3),
                                  keras.layers.BatchNormalization(momentum=0.9)])
    gan = GAN(build_discriminator(16), generator, 2, ema_decay=0.9)
    gan.compile(keras.optimizers.Adam(), keras.optimizers.Adam())
    generator.layers[1].moving_mean.assign(np.full(3, 5.0, "float32"))
    dense, norm = gan.ema_generator.layers
    gan._update_ema()  # averages the trained weights only: the statistics stay as they were
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(norm.moving_mean), 0.0)
    kernel, bias = np.array([[1.0, 0.0, 2.0], [0.0, 0.5, 2.0]]), np.array([1.0, -2.0, 3.0])
    dense.set_weights([kernel.astype("float32"), bias.astype("float32")])
    gan.refresh_ema_statistics(batches=60, batch_size=256)
    # z ~ N(0, I): the Dense outputs have mean = bias, variance = the kernel's column sums of squares
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm.moving_mean), bias, atol=0.3)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(norm.moving_variance),
                               (kernel ** 2).sum(axis=0), rtol=0.3)
    assert not gan.ema_generator.trainable


def fake_dogs(data_dir=None, image_size=64, val_fraction=0.1, limit=None, seed=0):
    """Synthetic 'photos': smooth colour gradients with a random tint, split 90/10."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, image_size)[None, :, None, None] * np.ones((1, 1, image_size, 3))
    x = (255 * np.clip(ramp * rng.uniform(0.3, 1, (80, 1, 1, 3)), 0, 1)).astype(np.uint8)
    cut = 80 - round(80 * val_fraction)
    return x[:cut], x[cut:]


def fake_inception(weights_path=None, pretrained=True):
    """A cheap stand-in for Inception: channel means and maxima at two scales."""
    inputs = keras.Input((None, None, 3))
    small = keras.layers.AveragePooling2D(4)(inputs)
    stats = [keras.layers.GlobalAveragePooling2D()(t) for t in (inputs, small)]
    stats += [keras.layers.GlobalMaxPooling2D()(small)]
    return keras.Model(inputs, keras.layers.Concatenate()(stats)), "fake-test-features"


def test_train_cli_writes_snapshots_checkpoints_and_stage_figure(tmp_path, monkeypatch,
                                                                second_run_is_refused):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train.data, "load_dogs", fake_dogs)
    argv = ["--arch", "dcgan", "--epochs", "2", "--snapshot-epochs", "1,2", "--image-size", "16",
            "--latent-dim", "8", "--batch-size", "16", "--run-name", "t/one", "--precision", "float32"]
    train.main(argv)
    run = tmp_path / "runs/gan_dogs/t/one"
    second_run_is_refused(train.main, argv, run)
    for name in ("model_summary.txt", "generator.keras", "generator_epoch_001.keras",
                 "generator_epoch_002.keras", "generated_epoch_001.png", "generated_epoch_002.png",
                 "stages.png", "loss.png", "history.csv", "gan.weights.h5", "metrics.json"):
        assert (run / name).is_file(), name
    assert np.load(run / "snapshots/epoch_002.npy").shape == (10, 16, 16, 3)
    assert json.loads((run / "metrics.json").read_text())["train_images"] == 72
    assert json.loads((run / "run.json").read_text())["epochs_done"] == 2
    assert any((tmp_path / "logs/gan_dogs/t/one").rglob("events.out.tfevents.*"))

    monkeypatch.setattr(evaluate.data, "load_dogs", fake_dogs)
    monkeypatch.setattr(evaluate, "inception_model", fake_inception)
    fids = evaluate.main(["--run-name", "t/one", "--n-images", "12"])
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["fid_network"] == "fake-test-features"
    # the evaluation of a run trained without the assignment's snapshots is REDUCED too
    assert metrics["run"]["breaks_assignment_rules"] == [
        "FID of 12 generated images, not 300", "no images after epoch 10/30/50 (snapshots at 1/2)"]
    assert metrics["fid_real_floor"] < metrics["fid_noise_ceiling"]
    assert metrics["kid_real_floor"] < metrics["kid_noise_ceiling"]
    assert 0 <= metrics["precision_generated"] <= 1 and 0 <= metrics["recall_real_held_out"] <= 1
    assert set(fids) == {"generated", "real held-out (floor)", "uniform noise (ceiling)"}
    assert (run / "fid.png").is_file() and (run / "fid_samples.png").is_file()
    rows = (run / "scores.md").read_text().splitlines()
    assert [row.split(" | ")[0] for row in rows[2:]] == [
        "| generated", "| real held-out (floor)", "| uniform noise (ceiling)"]
    assert rows[4].endswith("| - | - |")  # no precision / recall for noise
    assert len(list((run / "fid_images").glob("generated_*.png"))) == 12
    # the last snapshot is the latest generator: scored on the same z, the same FID
    assert set(metrics["fid_by_epoch"]) == {"1", "2"}
    assert metrics["fid_by_epoch"]["2"] == pytest.approx(metrics["fid_generated"], rel=1e-5)
    assert (run / "fid_by_epoch.png").is_file()
    # scoring only the final generator again keeps the by-epoch numbers
    evaluate.main(["--run-name", "t/one", "--n-images", "12", "--no-by-epoch"])
    assert json.loads((run / "metrics.json").read_text())["fid_by_epoch"] == metrics["fid_by_epoch"]
    # a snapshot named inside the run folder: scored into a folder of its own, the run's kept
    kept = (run / "scores.md").read_bytes()
    evaluate.main(["--run-name", "t/one", "--n-images", "12", "--generator", "generator_epoch_001.keras"])
    snapshot = json.loads((run / "evaluate_generator_epoch_001/metrics.json").read_text())
    assert snapshot["fid_generated"] == pytest.approx(metrics["fid_by_epoch"]["1"], rel=1e-5)
    assert (run / "scores.md").read_bytes() == kept and "fid_by_epoch" not in snapshot
    for flags in (["--n-images", "3"], ["--n-reference", "3"]):  # k = 3 neighbours need 4 images
        with pytest.raises(SystemExit):
            evaluate.main(["--run-name", "t/one"] + flags)
    with pytest.raises(UserError, match="held-out photos"):
        evaluate.main(["--run-name", "t/one", "--n-images", "12", "--val-fraction", "0"])


def test_an_interrupted_run_continues_with_its_optimizers_state(tmp_path, monkeypatch, recwarn):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train.data, "load_dogs", fake_dogs)  # 72 photos: 4 steps per epoch
    argv = ["--arch", "dcgan+hinge+ttur+ema", "--epochs", "2", "--snapshot-epochs", "2",
            "--image-size", "16", "--latent-dim", "8", "--batch-size", "16", "--run-name", "r",
            "--precision", "float32"]

    def killed_in_the_second_epoch(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt
    with monkeypatch.context() as patch:
        patch.setattr(train.GANMonitor, "on_epoch_begin", killed_in_the_second_epoch)
        with pytest.raises(KeyboardInterrupt):
            train.main(argv)
    recwarn.clear()
    train.main(argv)
    assert not [w for w in recwarn if "Skipping variable loading" in str(w.message)]
    run = tmp_path / "runs/gan_dogs/r"
    with open(run / "history.csv") as f:
        assert [row["epoch"] for row in csv.DictReader(f)] == ["0", "1"]
    # both optimizers went on from their saved state: 8 steps each, not the second epoch's 4
    with h5py.File(run / "gan.weights.h5", "r") as f:
        assert [int(f[f"{name}/vars/0"][()]) for name in ("d_optimizer", "g_optimizer")] == [8, 8]


def test_bad_input_is_one_line_errors(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for argv in (["--image-size", "48"], ["--epochs", "5", "--snapshot-epochs", "10"],
                 ["--epochs", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            train.main(argv)
        assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        run_cli(evaluate.main, ["--run-name", "missing"])
    assert exit_info.value.code == 2
    assert "no generator at" in capsys.readouterr().err
    for outside in ("/tmp/elsewhere", "../elsewhere", "a/../../b"):  # a run stays in runs/gan_dogs/
        for main in (train.main, evaluate.main):
            with pytest.raises(SystemExit) as exit_info:
                main(["--run-name", outside])
            assert exit_info.value.code == 2
    assert "invalid run name" in capsys.readouterr().err


def test_inception_features_of_fixed_sets_are_computed_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model, network = fake_inception()
    calls = []
    monkeypatch.setattr(evaluate, "inception_features",
                        lambda *args, **kwargs: calls.append(1) or inception_features(*args, **kwargs))
    photos = np.random.default_rng(0).uniform(0, 1, (6, 16, 16, 3)).astype("float32")
    first = evaluate.fixed_set_features(model, network, photos, 4)
    np.testing.assert_array_equal(evaluate.fixed_set_features(model, network, photos, 4), first)
    assert len(calls) == 1 and first.shape == (6, 9)
    evaluate.fixed_set_features(model, network, photos[::-1], 4)  # other pixels: computed
    evaluate.fixed_set_features(model, "another-network", photos, 4)
    assert len(calls) == 3 and len(list((tmp_path / evaluate.FEATURE_CACHE).glob("*.npy"))) == 3



def test_kid_is_the_unbiased_polynomial_mmd():
    from common.fid import kid
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, (6, 3)), rng.normal(0.5, 1, (5, 3))

    def k(x, y):
        return (x @ y / 3 + 1) ** 3
    by_hand = (sum(k(x, y) for i, x in enumerate(a) for j, y in enumerate(a) if i != j) / 30
               + sum(k(x, y) for i, x in enumerate(b) for j, y in enumerate(b) if i != j) / 20
               - 2 * sum(k(x, y) for x in a for y in b) / 30)
    assert kid(a, b) == pytest.approx(by_hand, rel=1e-12)
    same = rng.normal(0, 1, (400, 8))
    assert abs(kid(same[:200], same[200:])) < 0.05 < kid(same[:200], same[200:] + 1.0)


def test_precision_and_recall_on_points_counted_by_hand():
    from common.fid import precision_recall
    # real: 5 points on a line, spacing 1, so with k = 1 each ball has radius 1
    real = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0], [4, 0]])
    # fake: two inside the real balls, one far away; their own k=1 radii: 0.5, 0.5, ~11.4
    fake = np.array([[0.5, 0], [1.0, 0.0], [10.0, 7.0]])
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == pytest.approx(2 / 3)
    # the far fake point's ball (radius sqrt(130) ~ 11.4) covers every real point
    assert recall == pytest.approx(1.0)
    precision, recall = precision_recall(real, fake[:2], k=1)
    assert precision == 1.0 and recall == pytest.approx(2 / 5)  # (0,0) and (1,0) within 0.5
    # k = 3 (the default): the real radii are the third-nearest distances 3, 2, 2, 2, 3; of the
    # fakes (7,0) lies 3 from (4,0): inside; (8,0) 4: outside; (2,2.5) 2.5 from (2,0): outside;
    # (2,1.5) 1.5: inside. The fakes' own radii (5.6 to 6.5) cover every real point
    fake = np.array([[7.0, 0], [8, 0], [2, 2.5], [2, 1.5]])
    assert precision_recall(real, fake) == pytest.approx((0.5, 1.0))


def test_diff_augment_is_differentiable_and_keeps_what_it_should():
    from common.gradients import gradient_function
    from gan_dogs.augment import cutout, diff_augment, translation
    seed = keras.random.SeedGenerator(0)
    square = np.zeros((4, 16, 16, 3), "float32")
    square[:, 6:10, 6:10] = 1.0
    shifted = keras.ops.convert_to_numpy(translation(square, seed))  # shifts of at most 2 px keep it inside
    assert np.allclose(shifted.sum(axis=(1, 2, 3)), 48.0) and not np.allclose(shifted, square)
    holes = 1.0 - keras.ops.convert_to_numpy(cutout(np.ones((64, 16, 16, 3), "float32"), seed)).mean(axis=(1, 2, 3))
    assert holes.max() == pytest.approx(0.25) and 0.1 < holes.mean() <= 0.25  # an 8x8 square
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    _, gradient = gradient_function(lambda x: (keras.ops.sum(diff_augment(x, seed) ** 2),))(images)
    assert np.abs(keras.ops.convert_to_numpy(gradient)).mean() > 0


def test_diff_augment_with_a_probability_leaves_the_other_images_unchanged():
    from gan_dogs.augment import diff_augment
    images = np.random.default_rng(0).uniform(-1, 1, (200, 8, 8, 3)).astype("float32")
    out = keras.ops.convert_to_numpy(diff_augment(keras.ops.convert_to_tensor(images),
                                                  keras.random.SeedGenerator(0), 0.3))
    unchanged = np.all(out == images, axis=(1, 2, 3))
    assert 0.6 < unchanged.mean() < 0.8  # 70 % expected; an augmented image never equals its input
    assert not np.any(np.all(np.isclose(out, images), axis=(1, 2, 3)) & ~unchanged)
    with pytest.raises(SystemExit):
        train.parse_args(["--augment-probability", "0"])
    # without DiffAugment in --arch the recorded probability (stamped on every figure) is 0
    assert train.parse_args(["--arch", "dcgan+hinge"]).augment_probability == 0.0
    assert train.parse_args(["--arch", "dcgan+augment"]).augment_probability == 0.3


@pytest.fixture
def random_vgg(monkeypatch):
    """The vision head's VGG19 with random weights: tests never download."""
    import gan_dogs.model
    monkeypatch.setattr(gan_dogs.model, "vgg19_features", lambda layers, **kwargs: vgg19_features(
        layers, pretrained=False, name=kwargs.get("name", "vgg")))


@pytest.mark.xfail(keras.backend.backend() == "torch", strict=True,
                   reason="Keras's SpectralNormalization under torch in bf16 scales the logits "
                          "(0.41x from identical weights), so gan_dogs.train's auto is float32 there")
def test_bfloat16_train_steps_match_float32(random_vgg):
    """mixed_bfloat16 computes the networks in bf16 and keeps images, logits and losses in float32:
    from the same weights and random numbers, the recipe's first train steps give float32's
    losses within a few per cent."""
    real = np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 3)).astype("float32")
    weights, losses = None, {}
    for policy in ("float32", "mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(policy)
        keras.utils.set_random_seed(0)
        generator = build_generator(8, 16, upconv=True)
        discriminator = build_discriminator(16, spectral_norm=True, vision=True)
        weights = weights or (generator.get_weights(), discriminator.get_weights())
        generator.set_weights(weights[0])
        discriminator.set_weights(weights[1])
        gan = GAN(discriminator, generator, 8, augment=0.3, hinge=True, ema_decay=0.999)
        gan.compile(keras.optimizers.Adam(4e-4, beta_1=0.0, beta_2=0.9),
                    keras.optimizers.Adam(1e-4, beta_1=0.0, beta_2=0.9))
        steps = [gan.train_step(keras.ops.convert_to_tensor(real)) for _ in range(3)]
        losses[policy] = [[float(keras.ops.convert_to_numpy(s[k])) for k in ("d_loss", "g_loss")]
                          for s in steps]
        assert keras.backend.standardize_dtype(gan(np.zeros((2, 8), "float32")).dtype) == "float32"
    # atol: the generator's hinge loss passes near 0 (-0.016 at the second step), where a few per
    # cent are less than the rounding of bf16 kernels, which differs between CPUs (AMX or not)
    np.testing.assert_allclose(losses["mixed_bfloat16"], losses["float32"], rtol=0.05, atol=0.005)


def test_vision_head_adds_a_logit_from_frozen_vgg_features(random_vgg):
    keras.utils.set_random_seed(0)
    plain, vision = (build_discriminator(32, spectral_norm=True, vision=v) for v in (False, True))
    images = np.random.default_rng(0).uniform(-1, 1, (3, 32, 32, 3)).astype("float32")
    assert vision(images).shape == (3, 2)  # the DCGAN's logit and the VGG head's
    vgg = vision.get_layer("vgg19_relu3_1")
    assert vgg.weights and not vgg.trainable_weights
    frozen = {id(w) for w in vgg.weights}
    assert not frozen & {id(w) for w in vision.trainable_weights}
    # only the head is new: the VGG19 features cost no trained weights
    head = len(vision.trainable_weights) - len(plain.trainable_weights)
    assert head == 2 * 2  # at 32 px one convolution and a dense layer, a kernel and a bias each
    # the generator learns through the frozen features: the head's logit has a gradient at the image
    from common.gradients import gradient_function
    _, gradient = gradient_function(lambda x: (keras.ops.sum(vision(x)[:, 1]),))(images)
    assert np.abs(keras.ops.convert_to_numpy(gradient)).mean() > 0
    # each head gets the loss, the binary cross-entropy (dcgan+vision) as well as the hinge
    gan = GAN(vision, build_generator(8, 32), 8)
    gan.compile(keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4))
    logs = gan.train_step(images)
    assert all(np.isfinite(keras.ops.convert_to_numpy(logs[k])) for k in ("d_loss", "g_loss"))


def test_recipe_gan_trains_with_hinge_loss_and_an_ema_generator(tmp_path, monkeypatch, random_vgg):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train.data, "load_dogs", fake_dogs)
    # in bf16 (the default on bf16 hardware; emulated, slower, elsewhere)
    train.main(["--arch", "recipe", "--epochs", "2", "--snapshot-epochs", "1,2", "--image-size", "16",
                "--latent-dim", "8", "--batch-size", "16", "--run-name", "r",
                "--precision", "mixed_bfloat16"])
    run = tmp_path / "runs/gan_dogs/r"
    sampled, raw = (keras.models.load_model(run / name) for name in ("generator.keras",
                                                                      "generator_raw.keras"))
    z = np.random.default_rng(0).standard_normal((4, 8)).astype("float32")
    # after two epochs the average lags the trained generator: the two differ, both are images
    sampled_z, raw_z = (keras.ops.convert_to_numpy(g(z)) for g in (sampled, raw))
    assert not np.allclose(sampled_z, raw_z) and np.abs(sampled_z).max() <= 1
    assert sampled_z.dtype == np.float32 and sampled.layers[1].compute_dtype == "bfloat16"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["arch"] == "recipe" and metrics["d_learning_rate"] == 4 * metrics["learning_rate"]
    assert metrics["precision"] == "mixed_bfloat16"
    assert all(np.isfinite(metrics[f"final_{k}"]) for k in ("d_loss", "g_loss"))
    summary = (run / "model_summary.txt").read_text()
    assert "(SpectralNormaliza" in summary and "vgg19_relu3_1" in summary
    assert "(UpSampling2D)" in summary and "Conv2DTranspose" not in summary  # upconv generator


def test_decay_falls_linearly_to_zero_at_the_last_step():
    rate = train.schedule(4e-4, 100, decay=True)
    assert [float(rate(step)) for step in (0, 25, 50, 100, 130)] == pytest.approx(
        [4e-4, 3e-4, 2e-4, 0.0, 0.0])
    assert train.schedule(4e-4, 100, decay=False) == 4e-4


def test_ablation_adds_one_technique_per_run_and_tabulates_their_scores(tmp_path, monkeypatch,
                                                                       random_vgg):
    from gan_dogs import ablation
    assert ablation.ARCHS == ["dcgan", "dcgan+augment", "dcgan+augment+hinge",
                              "dcgan+augment+hinge+ttur", "dcgan+augment+hinge+ttur+ema",
                              "dcgan+augment+hinge+ttur+ema+vision",
                              "dcgan+augment+hinge+ttur+ema+vision+upconv", "recipe"]
    assert train.techniques("recipe") == {"augment", "hinge", "ttur", "ema", "vision", "upconv",
                                          "decay"}
    with pytest.raises(argparse.ArgumentTypeError):
        train.architecture("dcgan+ema+dropout")
    # two of the five runs (they take a while): hinge without ttur, and everything
    monkeypatch.setattr(ablation, "ARCHS", ["dcgan+augment+hinge", "recipe"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train.data, "load_dogs", fake_dogs)
    monkeypatch.setattr(evaluate.data, "load_dogs", fake_dogs)
    monkeypatch.setattr(evaluate, "inception_model", fake_inception)
    argv = ["--run-name", "abl", "--epochs", "1", "--image-size", "16", "--batch-size", "16",
            "--n-images", "12", "--n-reference", "40"]
    table = ablation.main(argv).read_text()
    runs = tmp_path / "runs/gan_dogs/abl"
    for arch, ttur in (("dcgan+augment+hinge", False), ("recipe", True)):
        metrics = json.loads((runs / arch / "metrics.json").read_text())
        assert metrics["arch"] == arch and f"| {arch} | {metrics['fid_generated']:.1f} |" in table
        assert (metrics["d_learning_rate"] == 4 * metrics["learning_rate"]) == ttur
        summary = (runs / arch / "model_summary.txt").read_text()
        assert "(SpectralNormaliza" in summary and ("vgg19_relu3_1" in summary) == (arch == "recipe")
    assert (runs / "recipe" / "generator_raw.keras").exists()  # only the EMA run keeps both
    assert not (runs / "dcgan+augment+hinge" / "generator_raw.keras").exists()
    assert sum(line.startswith("| ") for line in table.splitlines()) == 4  # head, 2 runs, floor
    # both runs scored against the same reference, floor and noise features, computed once
    assert len(list((tmp_path / evaluate.FEATURE_CACHE).glob("*.npy"))) == 3
    monkeypatch.setattr(train, "main", lambda argv: pytest.fail("a finished run was trained again"))
    monkeypatch.setattr(evaluate, "main", lambda argv: pytest.fail("a scored run was scored again"))
    assert ablation.main(argv).read_text() == table
    # the same runs asked for at other settings: refused, not tabled under the new ones
    with pytest.raises(UserError, match="epochs 1 \\(not 3\\)"):
        ablation.main(argv[:2] + ["--epochs", "3"] + argv[4:])
