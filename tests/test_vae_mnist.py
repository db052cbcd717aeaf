"""vae_mnist: Monte Carlo KL, normalised priors, trainable mixture, IW bound, CLIs, bad input."""
import csv
import json

import keras
import numpy as np
import pytest
from keras import ops

from common.cli import UserError, run_cli
from vae_mnist import compare, data, train
from vae_mnist.model import VAE, build_encoder, build_prior
from vae_mnist.priors import MixtureOfGaussians, StandardGaussian, VampPrior


@pytest.fixture
def fake_data(monkeypatch, tmp_path, fake_mnist):
    monkeypatch.setattr(data, "load_mnist", fake_mnist)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def grid_integral(prior, half_width=10.0, n=801):
    xs = np.linspace(-half_width, half_width, n, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    z = np.stack([gx.ravel(), gy.ravel()], axis=1)
    density = np.exp(ops.convert_to_numpy(prior.log_prob(ops.convert_to_tensor(z))))
    return density.sum() * (xs[1] - xs[0]) ** 2


def test_monte_carlo_kl_matches_closed_form_for_standard_prior():
    keras.utils.set_random_seed(0)
    encoder = build_encoder()
    # move q(z|x) away from N(0, I) so that the KL is not ~0
    encoder.get_layer("z_mean").bias.assign([1.5, -0.5])
    encoder.get_layer("z_log_var").bias.assign([-1.0, 0.7])
    # a one-layer decoder: the KL term does not depend on it, and the 80,000 samples decode at once
    cheap_decoder = keras.Sequential([keras.Input((2,)),
                                      keras.layers.Dense(784, activation="sigmoid"),
                                      keras.layers.Reshape((28, 28, 1))])
    vae = VAE(encoder, cheap_decoder, build_prior("standard", encoder), seed=0)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    n = 20000
    _, kl = vae.elbo_terms(np.repeat(x, n, axis=0))
    kl = ops.convert_to_numpy(kl).reshape(4, n)
    mean, log_var = (ops.convert_to_numpy(t) for t in encoder(x))
    closed_form = 0.5 * np.sum(mean ** 2 + np.exp(log_var) - 1.0 - log_var, axis=1)
    assert closed_form.min() > 0.5
    standard_error = kl.std(axis=1) / np.sqrt(n)
    np.testing.assert_array_less(np.abs(kl.mean(axis=1) - closed_form), 4 * standard_error + 1e-3)


def test_every_prior_integrates_to_one():
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    mog = MixtureOfGaussians(components=5, seed=1)
    mog.logits.assign(rng.normal(size=5) * 2)
    mog.means.assign(rng.normal(size=(5, 2)) * 3)
    mog.log_vars.assign(rng.uniform(-1.5, 1.0, size=(5, 2)))
    vamp = VampPrior(build_encoder(), components=4, seed=1)  # random encoder and pseudo-inputs
    for prior in (StandardGaussian(), mog, vamp):
        assert grid_integral(prior) == pytest.approx(1.0, abs=1e-2), type(prior).__name__


def test_prior_samples_follow_the_prior():
    keras.utils.set_random_seed(2)
    mog = MixtureOfGaussians(components=3, seed=2)
    mog.logits.assign([0.0, 1.0, -1.0])
    mog.means.assign([[-4.0, 0.0], [3.0, 1.0], [0.0, 5.0]])
    # variances other than 1, so that a variance used as a standard deviation shows
    variances = np.array([[4.0, 0.25], [0.5, 9.0], [2.0, 1.0]], dtype="float32")
    mog.log_vars.assign(np.log(variances))
    z = ops.convert_to_numpy(mog.sample(20000))
    weights = ops.convert_to_numpy(mog.mixture_weights())
    means = ops.convert_to_numpy(mog.means)
    expected_mean = weights @ means
    # law of total variance: E[var_k] + Var[mean_k]
    expected_var = weights @ variances + weights @ means**2 - expected_mean**2
    np.testing.assert_allclose(z.mean(axis=0), expected_mean, atol=0.1)
    np.testing.assert_allclose(z.var(axis=0), expected_var, rtol=0.05)
    vamp = VampPrior(build_encoder(), components=3, seed=2)
    assert ops.shape(vamp.sample(7)) == (7, 2)
    assert ops.shape(StandardGaussian(latent_dim=3).sample(5)) == (5, 3)


def test_mixture_weights_stay_a_distribution_while_training(fake_mnist):
    keras.utils.set_random_seed(3)
    (x, _), _ = fake_mnist(128, 8)
    x = x[..., None].astype(np.float32) / 255
    vae = train.build_vae("mog", components=4, seed=3)
    before = ops.convert_to_numpy(vae.prior.logits).copy()
    vae.compile(optimizer=keras.optimizers.Adam(0.01))
    vae.fit(x, epochs=2, batch_size=32, verbose=0)
    weights = ops.convert_to_numpy(vae.prior.mixture_weights())
    assert not np.allclose(ops.convert_to_numpy(vae.prior.logits), before)  # they are trained
    assert np.all(weights > 0) and weights.sum() == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.isfinite(ops.convert_to_numpy(vae.prior.log_vars)))


def test_importance_weighted_estimate_is_at_least_the_elbo():
    keras.utils.set_random_seed(4)
    vae = train.build_vae("standard", seed=4)
    x = np.random.default_rng(4).random((8, 28, 28, 1)).astype(np.float32)
    elbo = np.mean([vae.log_likelihood(x, k=1) for _ in range(20)], axis=0)
    iw = vae.log_likelihood(x, k=200)
    assert iw.shape == (8,) and np.all(np.isfinite(iw))
    assert np.all(iw >= elbo - 0.5) and iw.mean() > elbo.mean()


def test_compare_trains_every_prior_and_writes_table_and_figures(fake_data, capsys):
    compare.main(["--epochs", "3", "--components", "3", "--batch-size", "32",
                  "--iw-samples", "100", "--run-name", "quick/t"])
    run = fake_data / "runs" / "vae_mnist" / "quick" / "t"
    for name in ("aggregated_posterior.png", "latent_grids.png", "prior_samples.png",
                 "comparison.md", "metrics.json"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics) == {"standard", "mog", "vamp", "run"}
    assert metrics["run"]["breaks_assignment_rules"] == []
    table = (run / "comparison.md").read_text()
    assert table.count("\n| ") == 4  # header + one row per prior
    for prior in ("standard", "mog", "vamp"):
        m = metrics[prior]
        assert m["iw_samples"] == 100 and np.isfinite(m["test_iw_log_likelihood"])
        assert m["test_neg_elbo"] == pytest.approx(m["test_reconstruction"] + m["test_kl"], rel=1e-4)
        for name in ("model_summary.txt", "vae.weights.h5", "history.csv", "metrics.json",
                     "aggregated_posterior.png", "latent_grid.png", "prior_samples.png", "loss.png"):
            assert (run / prior / name).is_file(), f"{prior}/{name}"
        with open(run / prior / "history.csv") as f:
            losses = [float(row["loss"]) for row in csv.DictReader(f)]
        assert losses[-1] < losses[0], prior
    assert sum(metrics["mog"]["mixture_weights"]) == pytest.approx(1.0, abs=1e-5)
    assert (fake_data / "logs" / "vae_mnist" / "quick" / "t" / "vamp").is_dir()


    # killed while training the third prior: the same command again trains only that one
    run_json = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**run_json, "finished": False}))
    (run / "vamp" / "vae.weights.h5.finished").unlink()
    histories = {p: (run / p / "history.csv").read_bytes() for p in ("standard", "mog")}
    compare.main(["--epochs", "3", "--components", "3", "--batch-size", "32",
                  "--iw-samples", "100", "--run-name", "quick/t"])
    out = capsys.readouterr().out
    assert out.count("loaded (not retrained)") == 2 and "standard/vae.weights.h5: finished" in out
    assert {p: (run / p / "history.csv").read_bytes() for p in ("standard", "mog")} == histories
    again = json.loads((run / "metrics.json").read_text())
    assert again["standard"]["test_neg_elbo"] == pytest.approx(metrics["standard"]["test_neg_elbo"],
                                                               rel=0.02)
    assert again["standard"]["train_seconds"] == metrics["standard"]["train_seconds"]
    assert json.loads((run / "run.json").read_text())["finished"] is True


def test_other_latent_sizes_train_without_plots(fake_data, second_run_is_refused):
    argv = ["--latent-dim", "3", "--no-plots", "--epochs", "1", "--run-name", "d3", "--iw-samples",
            "100"]
    train.main(argv)
    run = fake_data / "runs" / "vae_mnist" / "d3"
    assert json.loads((run / "metrics.json").read_text())["latent_dim"] == 3
    assert not list(run.glob("*.png"))
    second_run_is_refused(train.main, argv, run)


def test_bad_input_gives_one_line_errors(fake_data, capsys):
    for argv in (["--prior", "gauss"], ["--components", "0"], ["--latent-dim", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            train.main(argv)
        assert exit_info.value.code == 2
    with pytest.raises(SystemExit):
        compare.main(["--priors", "standard,flat"])
    assert "flat" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # would train once and report one row
        compare.main(["--priors", "standard,vamp,standard"])
    assert "named twice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        run_cli(train.main, ["--latent-dim", "3"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:") and "--latent-dim 2" in err
    with pytest.raises(UserError, match="unknown prior"):
        train.build_vae("flat")
    with pytest.raises(UserError, match="at least one component"):
        train.build_vae("mog", components=0)
    with pytest.raises(ValueError, match="at least one component"):
        build_prior("vamp", build_encoder(), components=0)
