"""Train a VAE with a 2-D latent on MNIST under one prior (assignment 5, question 1).

    python -m vae_mnist.train --prior mog --components 10 --run-name mog

Writes runs/vae_mnist/<run-name>/: model_summary.txt, vae.weights.h5, history.csv,
metrics.json (test -ELBO and its two terms, importance-weighted log-likelihood), and the figures
aggregated_posterior.png, latent_grid.png, prior_samples.png, loss.png.
TensorBoard logs: logs/vae_mnist/<run-name>/.
"""
import argparse
import time

import keras
import numpy as np
from keras import ops

from common.cli import (HelpFormatter, UserError, add_run_arguments, add_seed_argument, positive,
                        run_cli, set_seed)
from common.callbacks import HistoryCSV, WeightsCheckpoint, backup_and_restore, fit_once
from common.distribute import training_strategy
from common.figures import loss_curves, read_history
from common.runs import (default_run_name, finish_run, open_run, record_settings, run_dirs,
                         save_model_summary, write_metrics)
from vae_mnist import data, figures
from vae_mnist.model import PRIORS, VAE, build_decoder, build_encoder, build_prior

PRIOR_TITLES = {"standard": "standard Gaussian N(0, I)", "mog": "mixture of {K} Gaussians",
                "vamp": "VampPrior, {K} pseudo-inputs"}


def add_training_args(parser):
    """Flags shared by train and compare; defaults are the --full settings."""
    parser.add_argument("--components", type=positive(int), default=10,
                        help="K: mixture components (mog) or pseudo-inputs (vamp)")
    parser.add_argument("--epochs", type=positive(int), default=50, help="training epochs")
    parser.add_argument("--batch-size", type=positive(int), default=128,
                        help="images per training step")
    parser.add_argument("--learning-rate", type=positive(float), default=1e-3,
                        help="Adam learning rate")
    parser.add_argument("--iw-samples", type=positive(int), default=100,
                        help="k, importance samples per test image for the log-likelihood "
                             "estimate")
    parser.add_argument("--limit", type=positive(int), default=None,
                        help="use only the first N training and test images (smoke tests)")
    add_seed_argument(parser, "weights, shuffling and sampling")
    add_run_arguments(parser, "vae_mnist")


def prior_title(prior, components):
    return PRIOR_TITLES[prior].format(K=components)


def build_vae(prior, components=10, latent_dim=2, x_init=None, seed=0):
    """A VAE with the named prior; the VampPrior's pseudo-inputs start as K images of x_init."""
    encoder, decoder = build_encoder(latent_dim), build_decoder(latent_dim)
    init = None
    if prior == "vamp" and x_init is not None:
        init = x_init[np.random.default_rng(seed).choice(len(x_init), components, replace=False)]
    try:
        return VAE(encoder, decoder, build_prior(prior, encoder, components, latent_dim, init, seed),
                   seed=seed)
    except ValueError as err:
        raise UserError(str(err)) from None


def train_vae(prior, run_name, components=10, latent_dim=2, epochs=50, batch_size=128,
              learning_rate=1e-3, iw_samples=100, limit=None, seed=0, plots=True):
    """Train, evaluate and draw one VAE. -> (vae, z_test, bounds, metrics)."""
    if plots:
        figures.require_2d(latent_dim)
    set_seed(seed)
    run_dir, log_dir = run_dirs("vae_mnist", run_name)
    x_train, x_test = data.load_data(limit)
    if prior == "vamp" and components > len(x_train):
        raise UserError(f"--components {components} pseudo-inputs but only {len(x_train)} images")
    with training_strategy().scope():
        vae = build_vae(prior, components, latent_dim, x_train, seed)
        vae.compile(optimizer=keras.optimizers.Adam(learning_rate))
    save_model_summary(run_dir / "model_summary.txt", vae.encoder, vae.decoder)
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        backup_and_restore(run_dir / "backup"),
        WeightsCheckpoint(run_dir / "vae.weights.h5"),
        HistoryCSV(run_dir / "history.csv"),
        keras.callbacks.TensorBoard(str(log_dir)),
    ]
    train_seconds = fit_once(vae, run_dir / "vae.weights.h5", x=x_train, epochs=epochs,
                             batch_size=batch_size, validation_data=(x_test,), callbacks=callbacks,
                             verbose=2)
    start = time.time()
    test = vae.evaluate(x_test, batch_size=500, return_dict=True, verbose=0)
    log_px = vae.log_likelihood(x_test, k=iw_samples)
    metrics = {
        "prior": prior, "components": components if prior != "standard" else None,
        "latent_dim": latent_dim, "epochs": epochs, "batch_size": batch_size,
        "train_images": len(x_train), "test_images": len(x_test),
        "test_neg_elbo": test["loss"], "test_reconstruction": test["reconstruction"],
        "test_kl": test["kl"], "iw_samples": iw_samples,
        "test_iw_log_likelihood": float(np.mean(log_px)),
        "train_seconds": round(train_seconds, 1), "eval_seconds": round(time.time() - start, 1),
    }
    if prior == "mog":
        metrics["mixture_weights"] = ops.convert_to_numpy(vae.prior.mixture_weights())
    write_metrics(run_dir / "metrics.json", metrics, merge=False)
    print(f"{prior}: test -ELBO {test['loss']:.2f} nats (reconstruction {test['reconstruction']:.2f}"
          f" + KL {test['kl']:.2f}); IW log-likelihood (k={iw_samples}) {np.mean(log_px):.2f}")

    z_test = ops.convert_to_numpy(vae.encode_sample(x_test)[0])
    bounds = None
    if plots:
        title = prior_title(prior, components)
        bounds = figures.latent_bounds(z_test, ops.convert_to_numpy(vae.prior.sample(5000)))
        figures.aggregated_posterior([dict(title=title, z=z_test, prior=vae.prior, bounds=bounds)],
                                     run_dir / "aggregated_posterior.png")
        figures.latent_grids([dict(title=title, decoder=vae.decoder, bounds=bounds)],
                             run_dir / "latent_grid.png")
        figures.prior_samples({title: vae}, run_dir / "prior_samples.png")
        loss_curves(read_history(run_dir / "history.csv"), run_dir / "loss.png",
                    f"VAE, {title}: -ELBO per image (validation = test set)",
                    keys=["loss", "reconstruction", "kl"], ylabel="nats per image", logy=True)
    return vae, z_test, bounds, metrics


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vae_mnist.train", description=__doc__,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--prior", choices=PRIORS, default="standard",
                        help="standard: N(0, I); mog: trainable mixture of K Gaussians; "
                             "vamp: VampPrior with K trainable pseudo-inputs")
    parser.add_argument("--latent-dim", type=positive(int), default=2,
                        help="latent dimension (the figures need 2)")
    parser.add_argument("--no-plots", action="store_true",
                        help="skip the figures (allows --latent-dim other than 2)")
    add_training_args(parser)
    args = parser.parse_args(argv)
    settings = record_settings("vae_mnist.train", args, [] if args.latent_dim == 2 else
                               [f"latent dimension {args.latent_dim}, not 2"])
    args.run_name = args.run_name or default_run_name()
    run_dir, _, _ = open_run("vae_mnist", args.run_name, settings, args.resume, args.overwrite)
    train_vae(args.prior, args.run_name, args.components, args.latent_dim, args.epochs,
              args.batch_size, args.learning_rate, args.iw_samples, args.limit, args.seed,
              plots=not args.no_plots)
    finish_run(run_dir)


if __name__ == "__main__":
    run_cli(main)
