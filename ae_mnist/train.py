"""Train the dense MNIST autoencoder (bottleneck 2) and a denoising autoencoder; write every figure.

    python -m ae_mnist.train --bottleneck 2 --noise-factor 0.4 --epochs 100 --run-name full

Assignment 3 (2025), question 1: (1) the printed structure, (2) BCE loss with a 2-D bottleneck and
the reconstructions of digits 0..9, (3) a denoising autoencoder on `x + 0.4 * N(0, 1)` with PSNR of
the noisy and denoised test images, (4) the latent codes of the test set, the uniform sampling
range and the decoded grid. `--l2` adds the L2 weight penalty of the 2023 edition (see compare_l2).
"""
import argparse
import time

import keras
import numpy as np

from ae_mnist import data, figures
from ae_mnist.model import build_autoencoder, compile_autoencoder
from common.cli import (HelpFormatter, add_run_arguments, add_seed_argument, at_least, non_negative,
                        positive, positive_int_list, run_cli, set_seed)
from common.callbacks import HistoryCSV, WeightsCheckpoint, backup_and_restore, fit_once
from common.distribute import training_strategy
from common.figures import loss_curves, read_history
from common.metrics import psnr
from common.runs import (default_run_name, finish_run, open_run, record_settings, run_dirs,
                         save_model_summary, write_metrics)




def build_parser(prog="python -m ae_mnist.train", description=__doc__):
    parser = argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)
    parser.add_argument("--bottleneck", type=positive(int), default=2,
                        help="latent dimension of the plain autoencoder (question 2 asks for 2)")
    parser.add_argument("--noise-factor", type=non_negative(float), default=0.4,
                        help="x_noisy = x + NOISE_FACTOR * N(0, 1), the assignment's 0.4")
    parser.add_argument("--clip-noisy", action="store_true",
                        help="clip noisy inputs to [0, 1] (the assignment's example does not)")
    parser.add_argument("--denoise-bottleneck", type=positive(int), default=32,
                        help="latent dimension of the denoising autoencoder (the assignment leaves "
                             "it open; 2 would blur every digit into its cluster's mean)")
    parser.add_argument("--no-denoise", dest="denoise", action="store_false",
                        help="skip the denoising autoencoder (question 3)")
    parser.add_argument("--l2", type=non_negative(float), default=0.0,
                        help="L2 penalty factor on every kernel, e.g. 1e-4 (0 = none)")
    parser.add_argument("--hidden", type=positive_int_list, default=[384, 192, 96],
                        help="encoder hidden widths; the decoder mirrors them")
    parser.add_argument("--epochs", type=positive(int), default=100,
                        help="training epochs of the plain (and the L2) autoencoder")
    parser.add_argument("--denoise-epochs", type=positive(int), default=20,
                        help="training epochs of the denoising autoencoder: with a 32-D code it "
                             "overfits, BCE on images held out of the training set 0.109 after 20 "
                             "epochs, 0.132 after 100 (ae_mnist/README.md)")
    parser.add_argument("--batch-size", type=positive(int), default=256,
                        help="large enough to keep both CPU cores busy (see ae_mnist.bench)")
    parser.add_argument("--learning-rate", type=positive(float), default=2e-3,
                        help="Adam's initial rate, decayed to 0 by a cosine schedule")
    parser.add_argument("--grid-size", type=at_least(2), default=20,
                        help="decode an N x N uniform grid of latent codes (2-D bottleneck only)")
    add_seed_argument(parser, "weights, shuffling and noise")
    add_run_arguments(parser, "ae_mnist")
    parser.add_argument("--mnist-path", default=None,
                        help="an MNIST file (mnist.npz or mnist.pkl.gz); default: the cache, then download")
    return parser


def rule_breaks(args):
    """How `args` break assignment 3's question 1 (bottleneck 2, noise factor 0.4); [] if they don't."""
    breaks = []
    if args.bottleneck != 2:
        breaks.append(f"bottleneck {args.bottleneck}, not 2")
    if args.noise_factor != 0.4:
        breaks.append(f"noise factor {args.noise_factor:g}, not 0.4")
    return breaks


def fit(name, x_in, x_target, test_in, test_target, bottleneck, epochs, args, run_dir,
        log_dir):
    """Build, compile and fit one autoencoder on (x_in -> x_target) for `epochs`; return (model,
    encoder, decoder)."""
    set_seed(args.seed)
    with training_strategy().scope():
        model, encoder, decoder = build_autoencoder(bottleneck, args.hidden, args.l2, name=name)
        steps = -(-len(x_in) // args.batch_size) * epochs
        compile_autoencoder(model, args.learning_rate, steps)
    callbacks = [
        keras.callbacks.TerminateOnNaN(),
        HistoryCSV(run_dir / f"{name}_history.csv"),
        WeightsCheckpoint(run_dir / f"{name}.weights.h5"),
        # an interrupted run continues from its last epoch when started again with the same name
        backup_and_restore(run_dir / "backup" / name),
        keras.callbacks.TensorBoard(log_dir / name),
    ]
    # the test set doubles as validation data: it is watched, never used to pick weights
    fit_once(model, run_dir / f"{name}.weights.h5", x=x_in, y=x_target, batch_size=args.batch_size,
             epochs=epochs, validation_data=(test_in, test_target), callbacks=callbacks,
             verbose=2)
    return model, encoder, decoder


def evaluate(model, x_in, x_target, batch_size):
    """Test BCE per pixel, MSE and mean PSNR (course formula) of model(x_in) against x_target."""
    scores = model.evaluate(x_in, x_target, batch_size=batch_size, return_dict=True, verbose=0)
    predicted = model.predict(x_in, batch_size=batch_size, verbose=0)
    return predicted, {"test_bce_per_pixel": scores["bce"], "test_mse": scores["mse"],
                       "test_psnr_db": psnr(x_target, predicted)}


def sampling_grid(codes, n):
    """A uniform n x n grid over the central 98% (1st..99th percentile) of the codes, per axis.

    Returns (box, grid) with box = ((z1_min, z1_max), (z2_min, z2_max)) and grid (n, n, 2),
    grid[i, j] = (z1_j, z2_i).
    """
    low, high = np.percentile(codes, [1, 99], axis=0)
    z1, z2 = np.linspace(low[0], high[0], n), np.linspace(low[1], high[1], n)
    grid = np.stack(np.meshgrid(z1, z2), axis=-1).astype("float32")
    return ((float(low[0]), float(high[0])), (float(low[1]), float(high[1]))), grid


def run(args):
    """Train and evaluate as the parsed `args` say; return the metrics and the latent codes."""
    (x_train, y_train), (x_test, y_test) = data.load(args.mnist_path)
    run_dir, log_dir = run_dirs("ae_mnist", args.run_name)
    columns = data.first_of_each_digit(y_test)
    start = time.time()
    l2_note = f", L2 {args.l2:g}" if args.l2 else ""

    # (1)-(2): the plain autoencoder with a 2-D (by default) bottleneck
    model, encoder, decoder = fit("autoencoder", x_train, x_train, x_test, x_test,
                                  args.bottleneck, args.epochs, args, run_dir, log_dir)
    models = [model]
    reconstructed, scores = evaluate(model, x_test, x_test, args.batch_size)
    metrics = {"autoencoder": {"bottleneck": args.bottleneck, **scores}}
    figures.reconstructions(
        x_test[columns], reconstructed[columns], run_dir / "reconstruction.png",
        f"Bottleneck {args.bottleneck}{l2_note}: test digits and reconstructions "
        f"(test BCE/pixel {scores['test_bce_per_pixel']:.4f})")
    curves = {"autoencoder BCE": "autoencoder"}

    # (4): the latent space of the plain autoencoder, sampled on a uniform grid
    result = {"metrics": metrics}
    if args.bottleneck == 2:
        codes = encoder.predict(x_test, batch_size=args.batch_size, verbose=0)
        box, grid = sampling_grid(codes, args.grid_size)
        images = decoder.predict(grid.reshape(-1, 2), batch_size=args.batch_size, verbose=0)
        images = images.reshape(args.grid_size, args.grid_size, *data.IMAGE_SHAPE)
        metrics["latent"] = {"sampling_range_z1": box[0], "sampling_range_z2": box[1],
                             "code_mean": codes.mean(axis=0), "code_std": codes.std(axis=0)}
        figures.latent_scatter(codes, y_test, box, run_dir / "latent_scatter.png",
                               f"Latent codes of the {len(codes)} test digits{l2_note}")
        figures.latent_grid(images, box, run_dir / "latent_grid.png",
                            f"Decoded {args.grid_size}x{args.grid_size} uniform grid of latent "
                            f"codes{l2_note}")
        result.update(codes=codes, labels=y_test, box=box, grid_images=images)

    # (3): the denoising autoencoder, trained on noisy inputs with clean targets
    if args.denoise:
        noisy_train = data.add_noise(x_train, args.noise_factor, args.seed, args.clip_noisy)
        noisy_test = data.add_noise(x_test, args.noise_factor, args.seed + 1, args.clip_noisy)
        denoiser, _, _ = fit("denoiser", noisy_train, x_train, noisy_test, x_test,
                             args.denoise_bottleneck, args.denoise_epochs, args, run_dir, log_dir)
        models.append(denoiser)
        denoised, scores = evaluate(denoiser, noisy_test, x_test, args.batch_size)
        noisy_psnr = psnr(x_test, noisy_test)
        metrics["denoising"] = {
            "noise_factor": args.noise_factor, "clipped": args.clip_noisy,
            "bottleneck": args.denoise_bottleneck, **scores,
            "psnr_noisy_db": noisy_psnr, "psnr_denoised_db": scores["test_psnr_db"],
            "psnr_gain_db": scores["test_psnr_db"] - noisy_psnr}
        figures.denoising(
            x_test[columns], noisy_test[columns], denoised[columns], run_dir / "denoising.png",
            f"Denoising, x + {args.noise_factor:g} N(0,1){' clipped' if args.clip_noisy else ''}: "
            f"test PSNR noisy {noisy_psnr:.2f} dB, denoised {scores['test_psnr_db']:.2f} dB")
        curves["denoiser BCE"] = "denoiser"

    history = {}
    for label, name in curves.items():
        logged = read_history(run_dir / f"{name}_history.csv")
        history[label], history[f"val_{label}"] = logged["bce"], logged["val_bce"]
    loss_curves(history, run_dir / "loss_curves.png",
                f"Binary cross-entropy per pixel{l2_note} (validation = test set)",
                ylabel="BCE per pixel")

    print("\n".join(save_model_summary(run_dir / "model_summary.txt", *models).splitlines()))
    metrics["settings"] = {k: v for k, v in vars(args).items() if k not in ("run_name", "mnist_path")}
    metrics["train_seconds"] = time.time() - start
    write_metrics(run_dir / "metrics.json", metrics, merge=False)
    print(f"run folder: {run_dir}")
    for part in ("autoencoder", "denoising"):
        if part in metrics:
            print(part, {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics[part].items()})
    return result


def main(argv=None):
    args = build_parser().parse_args(argv)
    settings = record_settings("ae_mnist.train", args, rule_breaks(args))
    args.run_name = args.run_name or default_run_name()
    run_dir, _, _ = open_run("ae_mnist", args.run_name, settings, args.resume, args.overwrite)
    result = run(args)
    finish_run(run_dir)
    return result


if __name__ == "__main__":
    run_cli(main)
