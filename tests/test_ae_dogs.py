"""ae_dogs: data folder rules and split, the power-normalise-plus-noise layer, PSNR, the singular
Gaussian fit, and a tiny end-to-end run of all five parts on synthetic photos."""
import json

import numpy as np
import pytest

from ae_dogs import explore, latent, train
from common.dogs import load_dogs
from ae_dogs.layers import PowerNormalizeNoise
from ae_dogs.model import build_autoencoder, downsamplings
from common.cli import UserError
from common.metrics import psnr


def test_load_dogs_shapes_split_and_folder_rule(tmp_path, photos):
    photos.folder(tmp_path / "data" / "dogs", 20, size=(24, 20), smooth=True)
    train_a, val_a = load_dogs(tmp_path / "data", image_size=16, val_fraction=0.25)
    assert train_a.shape == (15, 16, 16, 3) and val_a.shape == (5, 16, 16, 3)
    assert train_a.dtype == np.uint8
    train_b, val_b = load_dogs(tmp_path / "data" / "dogs", image_size=16, val_fraction=0.25)
    np.testing.assert_array_equal(val_a, val_b)  # same seed, same held-out photos
    held_out = {v.tobytes() for v in val_a}
    assert not held_out & {t.tobytes() for t in train_a}
    train_c, _ = load_dogs(tmp_path / "data", image_size=16, val_fraction=0.25, limit=8)
    assert len(train_c) == 6


def test_load_dogs_bad_input(tmp_path, photos):
    with pytest.raises(UserError, match="not a folder"):
        load_dogs(tmp_path / "missing")
    (tmp_path / "empty" / "dogs").mkdir(parents=True)
    with pytest.raises(UserError, match="no images"):
        load_dogs(tmp_path / "empty")
    (tmp_path / "course" / "adain_examples").mkdir(parents=True)  # the data folder without dogs/
    photos.folder(tmp_path / "course" / "adain_examples" / "content", 3, size=(24, 20))
    with pytest.raises(UserError, match="has no dogs/ folder"):
        load_dogs(tmp_path / "course")
    photos.folder(tmp_path / "few", 3, size=(24, 20), smooth=True)
    with pytest.raises(UserError, match="asked for 10 images but .* only 3"):
        load_dogs(tmp_path / "few", image_size=16, limit=10)


def test_cli_bad_folder_is_one_line_error(tmp_path, capsys):
    from common.cli import run_cli
    with pytest.raises(SystemExit) as exit_info:
        run_cli(train.main, ["--data-dir", str(tmp_path / "nowhere"), "--epochs", "1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_power_normalisation_gives_unit_average_power():
    codes = np.random.default_rng(0).normal(3.0, 5.0, (4, 8, 8, 16)).astype("float32")
    codes[1] *= 100
    out = np.asarray(PowerNormalizeNoise(0.1)(codes, training=False))
    np.testing.assert_allclose(np.mean(out ** 2, axis=(1, 2, 3)), 1.0, rtol=1e-5)


@pytest.mark.parametrize("variance", [0.05, 0.15])
def test_noise_std_is_sqrt_of_variance(variance):
    codes = np.random.default_rng(0).normal(size=(64, 8, 8, 16)).astype("float32")
    layer = PowerNormalizeNoise(variance, seed=1)
    clean = np.asarray(layer(codes, training=False))
    noise = np.asarray(layer(codes, training=True)) - clean
    assert abs(noise.std() - np.sqrt(variance)) < 0.01 * np.sqrt(variance) + 1e-3
    assert abs(noise.mean()) < 0.01


def test_psnr_matches_hand_value():
    x = np.zeros((2, 2, 2, 1))
    x[0, 0, 0] = 0.5           # image 1: max 0.5
    x[1] = 1.0                 # image 2: max 1
    x_hat = x.copy()
    x_hat[0, 1, 1] = 0.2       # image 1: MSE = 0.04 / 4 = 0.01 -> 10 log10(0.25 / 0.01) = 13.979
    x_hat[1] -= 0.1            # image 2: MSE = 0.01 -> 10 log10(1 / 0.01) = 20
    assert psnr(x, x_hat) == pytest.approx((10 * np.log10(25) + 20) / 2, abs=1e-9)


def test_held_out_psnr_with_the_noise_kept_adds_noise_of_std_sqrt_variance():
    import keras
    identity = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Identity()])
    val = np.random.default_rng(1).integers(0, 256, (5, 4, 4, 3), dtype=np.uint8)
    scores = train.validation_psnr(identity, identity, val, noise_variance=0.1, seed=3)
    x = val / 255.0
    noise = np.sqrt(0.1) * np.random.default_rng(3).standard_normal(x.shape)
    by_hand = 10 * np.log10(x.reshape(5, -1).max(axis=1) ** 2 / (noise.reshape(5, -1) ** 2).mean(axis=1))
    assert scores["val_psnr"] == np.inf  # the identity reconstructs exactly
    assert scores["val_psnr_noisy_latent"] == pytest.approx(by_hand.mean(), abs=1e-4)


def test_bad_sizes_are_one_line_errors_before_any_photo_is_read(capsys):
    for flags in (["--image-size", "48"], ["--n-fit", "1"]):
        with pytest.raises(SystemExit) as exit_info:
            train.build_parser().parse_args(flags)
        assert exit_info.value.code == 2
        assert flags[0] in capsys.readouterr().err
    with pytest.raises(UserError, match="twice"):  # each variance names one model's folder
        explore.parse_args(["--noise-variances", "0.1,0.05,0.1"])


def test_gaussian_fit_and_sampling_with_singular_covariance():
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(6, 4, 4, 2))  # 6 codes of 32 numbers: covariance rank 5
    mean, cov = latent.fit_gaussian(codes)
    assert cov.shape == (32, 32) and np.linalg.matrix_rank(cov) == 5
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(cov)
    samples = latent.sample_gaussian(mean, cov, 20000, rng)
    assert np.all(np.isfinite(samples))
    # samples stay in the affine span of the codes ...
    span = np.linalg.svd(codes.reshape(6, -1) - mean, full_matrices=False)[2][:5]
    residual = (samples - mean) - (samples - mean) @ span.T @ span
    assert np.abs(residual).max() < 1e-6  # round-off only
    # ... with the fitted mean and covariance
    np.testing.assert_allclose(samples.mean(axis=0), mean, atol=0.05)
    np.testing.assert_allclose(np.cov(samples, rowvar=False), cov, atol=0.08)


def test_latent_is_8x8x16_and_sizes_checked():
    for size in (16, 64):
        _, encoder, decoder = build_autoencoder(size, noise_variance=0.1)
        assert encoder.output_shape == (None, 8, 8, 16)
        assert decoder.output_shape == (None, size, size, 3)
    with pytest.raises(ValueError, match="8 times a power of two"):
        downsamplings(48)


def test_bfloat16_autoencoder_matches_float32():
    """Under mixed_bfloat16 the convolutions run in bf16, the codes and reconstructions stay
    float32, and from the same weights they match float32's to bf16's precision."""
    import keras
    images = np.random.default_rng(0).uniform(0, 1, (4, 32, 32, 3)).astype("float32")
    outputs, weights = {}, None
    for policy in ("float32", "mixed_bfloat16"):
        keras.mixed_precision.set_global_policy(policy)
        autoencoder, encoder, _ = build_autoencoder(32, noise_variance=0.1, seed=0)
        weights = weights or autoencoder.get_weights()
        autoencoder.set_weights(weights)
        codes, reconstruction = encoder(images), autoencoder(images)
        assert {keras.backend.standardize_dtype(x.dtype) for x in (codes, reconstruction)} == {"float32"}
        outputs[policy] = [keras.ops.convert_to_numpy(x) for x in (codes, reconstruction)]
    assert autoencoder.get_layer("encoder").layers[1].compute_dtype == "bfloat16"
    for bf16, f32 in zip(outputs["mixed_bfloat16"], outputs["float32"]):
        np.testing.assert_allclose(bf16, f32, atol=0.03)
        assert not np.array_equal(bf16, f32)  # computed in bf16, not float32


def test_explore_end_to_end(tmp_path, monkeypatch, photos):
    photos.folder(tmp_path / "dogs", 30, size=(24, 20), smooth=True)
    monkeypatch.chdir(tmp_path)
    explore.main(["--data-dir", str(tmp_path), "--image-size", "16", "--val-fraction", "0.34",
                  "--epochs", "4", "--batch-size", "4", "--learning-rate", "3e-3", "--n-fit", "8",
                  "--noise-variances", "0.1", "--run-name", "tiny", "--precision", "mixed_bfloat16"])
    root = tmp_path / "runs" / "ae_dogs" / "tiny"
    for name in ("plain", "noise0.1"):
        for file in ("model_summary.txt", "history.csv", "autoencoder.weights.h5", "loss.png",
                     "reconstructions.png", "latent_channels.png", "gaussian_samples.png",
                     "noisy_codes.png", "metrics.json"):
            assert (root / name / file).is_file(), f"{name}/{file}"
    history = np.genfromtxt(root / "plain" / "history.csv", delimiter=",", names=True)
    assert history["loss"][-1] < history["loss"][0]
    metrics = json.loads((root / "metrics.json").read_text())
    assert set(metrics["models"]) == {"plain", "noise0.1"}
    assert metrics["models"]["noise0.1"]["covariance_shape"] == [1024, 1024]
    assert np.isfinite(metrics["models"]["plain"]["val_psnr"])
    # the codes are float32 under bf16 (their power is normalised exactly); the run says bf16
    assert metrics["models"]["noise0.1"]["latent_mean_power"] == pytest.approx(1.0, rel=1e-3)
    assert metrics["models"]["plain"]["precision"] == "mixed_bfloat16"
    table = (root / "psnr_table.md").read_text()
    assert "| plain |" in table and "| noise0.1 |" in table
    assert (root / "samples_by_model.png").is_file() and (root / "reconstructions_by_model.png").is_file()
    assert (tmp_path / "logs" / "ae_dogs" / "tiny" / "plain").is_dir()


def test_train_refuses_to_write_into_a_finished_run(tmp_path, monkeypatch, second_run_is_refused, photos):
    photos.folder(tmp_path / "dogs", 30, size=(24, 20), smooth=True)
    monkeypatch.chdir(tmp_path)
    argv = ["--data-dir", str(tmp_path), "--image-size", "16", "--val-fraction", "0.34",
            "--epochs", "1", "--batch-size", "4", "--n-fit", "4", "--run-name", "once"]
    with pytest.raises(UserError, match="only 4 held-out image"):  # before training, not after
        train.main(argv[:4] + ["--val-fraction", "0.15"] + argv[6:])
    assert not (tmp_path / "runs").exists()
    train.main(argv)
    second_run_is_refused(train.main, argv, tmp_path / "runs" / "ae_dogs" / "once")
