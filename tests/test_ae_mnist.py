"""ae_mnist: the noise formula, PSNR, model shapes, a loss that falls, the CLIs end to end, bad input."""
import json
import math

import numpy as np
import pytest

from ae_mnist import compare_l2, data, train
from ae_mnist.model import build_autoencoder, compile_autoencoder
from common.cli import UserError, run_cli
from common.metrics import psnr



@pytest.fixture
def synthetic_mnist(monkeypatch, fake_mnist):
    monkeypatch.setattr(data, "load_mnist", lambda path=None: fake_mnist())


def test_noise_is_the_assignments_formula():
    x = np.full((400, 784), 0.5, dtype=np.float32)
    noisy = data.add_noise(x, 0.4, seed=3)
    added = noisy - x
    assert noisy.dtype == np.float32
    assert abs(added.mean()) < 0.01 and added.std() == pytest.approx(0.4, rel=0.01)
    # exactly x + factor * N(0, 1) with the seeded generator's draws; unclipped by default
    expected = np.random.default_rng(3).standard_normal(x.shape, dtype=np.float32)
    np.testing.assert_allclose(added, 0.4 * expected, atol=1e-6)
    assert noisy.min() < 0 and noisy.max() > 1
    clipped = data.add_noise(x, 0.4, seed=3, clip=True)
    assert clipped.min() == 0 and clipped.max() == 1
    np.testing.assert_array_equal(data.add_noise(x, 0.0), x)


def test_psnr_of_noisy_and_reconstructed_digits():
    x = np.zeros((20, 784), dtype=np.float32)
    x[:, :100] = 1.0                           # peak 1
    # every pixel off by 0.1: MSE 0.01, PSNR = 10 log10(1 / 0.01) = 20 dB
    assert psnr(x, x + 0.1) == pytest.approx(20.0)
    # unclipped noise of factor 0.4: MSE = 0.16, PSNR = 10 log10(1 / 0.16) = 7.96 dB
    assert psnr(x, data.add_noise(x, 0.4)) == pytest.approx(10 * math.log10(1 / 0.16), abs=0.15)


def test_data_is_flat_float32_in_unit_range(synthetic_mnist):
    (x_train, y_train), (x_test, y_test) = data.load()
    assert x_train.shape == (240, 784) and x_test.shape == (120, 784)
    assert x_train.dtype == np.float32 and x_train.min() == 0 and x_train.max() == 1
    np.testing.assert_array_equal(y_test[data.first_of_each_digit(y_test)], np.arange(10))


def test_model_shapes_and_l2_penalty():
    model, encoder, decoder = build_autoencoder(bottleneck=2, hidden=[32, 16])
    x = np.random.default_rng(0).random((5, 784)).astype("float32")
    codes = encoder.predict(x, verbose=0)
    out = model.predict(x, verbose=0)
    assert codes.shape == (5, 2) and decoder.predict(codes, verbose=0).shape == (5, 784)
    assert out.shape == (5, 784) and 0 < out.min() and out.max() < 1
    np.testing.assert_allclose(decoder.predict(codes, verbose=0), out, atol=1e-6)
    assert [layer.units for layer in encoder.layers[1:]] == [32, 16, 2]
    assert [layer.units for layer in decoder.layers[1:]] == [16, 32, 784]
    assert model.losses == []
    regularised, _, _ = build_autoencoder(bottleneck=3, hidden=[8], l2=1e-4)
    assert len(regularised.losses) == 4      # one penalty per kernel: 784-8-3 and 3-8-784


def test_short_training_run_lowers_the_loss(synthetic_mnist):
    (x, _), _ = data.load()
    model, _, _ = build_autoencoder(bottleneck=2, hidden=[64, 32])
    compile_autoencoder(model, 3e-3, total_steps=40 * 4)
    history = model.fit(x, x, batch_size=64, epochs=40, verbose=0).history["bce"]
    assert history[-1] < 0.7 * history[0]


def test_compare_l2_end_to_end_writes_every_file(synthetic_mnist, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    compare_l2.main(["--epochs", "2", "--denoise-epochs", "1", "--hidden", "16", "--batch-size",
                     "64", "--grid-size", "5", "--run-name", "t/cmp"])
    top = tmp_path / "runs" / "ae_mnist" / "t" / "cmp"
    plain, regularised = top / "no_l2", top / "l2_0.0001"
    for name in ["reconstruction.png", "denoising.png", "latent_scatter.png", "latent_grid.png",
                 "loss_curves.png", "metrics.json", "model_summary.txt", "autoencoder_history.csv",
                 "denoiser_history.csv", "autoencoder.weights.h5", "denoiser.weights.h5"]:
        assert (plain / name).stat().st_size > 0, name
    for name in ["reconstruction.png", "latent_scatter.png", "latent_grid.png", "loss_curves.png"]:
        assert (regularised / name).stat().st_size > 0, name
    assert not (regularised / "denoising.png").exists()
    assert (top / "l2_comparison.png").stat().st_size > 0
    assert "| L2 0.0001 |" in (top / "comparison.md").read_text()
    assert (tmp_path / "logs" / "ae_mnist" / "t" / "cmp" / "no_l2" / "autoencoder").is_dir()
    # each model for its own number of epochs: a header and one row per epoch
    for history, epochs in [(plain / "autoencoder_history.csv", 2), (plain / "denoiser_history.csv", 1),
                            (regularised / "autoencoder_history.csv", 2)]:
        assert len(history.read_text().splitlines()) == 1 + epochs, history

    metrics = json.loads((plain / "metrics.json").read_text())
    ae, dn = metrics["autoencoder"], metrics["denoising"]
    assert ae["bottleneck"] == 2 and 0 < ae["test_bce_per_pixel"] < 1 and 0 < ae["test_mse"] < 1
    assert dn["psnr_denoised_db"] == dn["test_psnr_db"] and dn["noise_factor"] == 0.4
    assert dn["psnr_noisy_db"] == pytest.approx(10 * math.log10(1 / 0.16), abs=0.3)
    low, high = metrics["latent"]["sampling_range_z1"]
    assert low < high
    assert json.loads((regularised / "metrics.json").read_text())["settings"]["l2"] == 1e-4
    assert json.loads((plain / "metrics.json").read_text())["run"]["settings"]["l2"] == 0.0  # its own
    assert set(json.loads((top / "metrics.json").read_text())["runs"]) == {"no L2", "L2 0.0001"}
    assert "encoder_dense1 (Dense)" in (plain / "model_summary.txt").read_text()


def test_train_refuses_to_write_into_a_finished_run(synthetic_mnist, tmp_path, monkeypatch,
                                                    second_run_is_refused):
    monkeypatch.chdir(tmp_path)
    argv = ["--epochs", "1", "--hidden", "16", "--batch-size", "64", "--grid-size", "5",
            "--no-denoise", "--run-name", "r1"]
    train.main(argv)
    second_run_is_refused(train.main, argv, tmp_path / "runs" / "ae_mnist" / "r1")
    with pytest.raises(UserError, match="--resume: .* holds no unfinished run"):
        train.main(argv[:-1] + ["never-ran", "--resume"])


def test_sampling_grid_is_uniform_over_the_central_codes():
    codes = np.random.default_rng(0).normal(size=(1000, 2)) * [1.0, 3.0]
    box, grid = train.sampling_grid(codes, 4)
    assert grid.shape == (4, 4, 2)
    np.testing.assert_allclose(grid[0, :, 0], np.linspace(*box[0], 4), rtol=1e-6)
    np.testing.assert_allclose(grid[:, 0, 1], np.linspace(*box[1], 4), rtol=1e-6)
    assert box[1][1] - box[1][0] > 2 * (box[0][1] - box[0][0])


@pytest.mark.parametrize("argv, message", [
    (["--bottleneck", "0"], "--bottleneck"),
    (["--noise-factor", "-0.4"], "--noise-factor"),
    (["--hidden", "64,0"], "--hidden"),
    (["--grid-size", "1"], "--grid-size"),  # would divide by zero after the training
])
def test_bad_numbers_are_one_line_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(train.main, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err.splitlines()[-1] and "Traceback" not in err


def test_help_shows_no_default_for_a_flag_that_takes_no_value(capsys):
    with pytest.raises(SystemExit):
        train.build_parser().parse_args(["--help"])
    text = capsys.readouterr().out
    text = text[text.index("\n  --bottleneck"):]  # the flags' descriptions, not the usage lines
    # "--no-denoise ... (default: True)" would read as if skipping were the default
    assert "default" not in text[text.index("--no-denoise"):text.index("--l2")]
    assert "default" in text[text.index("--epochs"):text.index("--denoise-epochs")]


def test_missing_corrupt_or_folder_mnist_file_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "mnist.npz"
    bad.write_bytes(b"\x00" * 100)
    for path, message in ((tmp_path / "nowhere.npz", "does not exist"), (bad, "wrong checksum"),
                          (tmp_path, "is a folder, not a file")):
        with pytest.raises(SystemExit) as stop:
            run_cli(train.main, ["--mnist-path", str(path)])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and err.startswith("error: mnist:") and message in err
        assert err.count("\n") == 1
    with pytest.raises(UserError, match="--l2 must be > 0"):
        compare_l2.main(["--l2", "0"])
