"""Train the convolutional autoencoder (latent 8x8x16) on dog photos; run the latent experiments.

    python -m ae_dogs.train --epochs 50 --run-name full/plain
    python -m ae_dogs.train --noise-variance 0.1 --epochs 50 --run-name full/noise0.1

2023 assignment 3, question 2: (1) MSE-trained autoencoder with c of shape 8x8x16; then, for the
trained model, (2) 9 held-out images with reconstructions and latent codes, (3) 9 samples of a
Gaussian fitted to the codes of 256 training images, (4) the 9 codes plus Gaussian noise.
`--noise-variance V` > 0 trains the noise-regularised autoencoder of (5): power-normalised codes
plus N(0, V) noise during training. `python -m ae_dogs.explore` trains all four models of (5).
Mean PSNR (the course formula) on the held-out images goes to metrics.json.
"""
import argparse

import keras
import numpy as np
import tensorflow as tf

from common.dogs import load_dogs
from ae_dogs.experiments import check_enough_images, latent_experiments
from ae_dogs.model import build_autoencoder, downsamplings
from common.cli import (HelpFormatter, add_data_dir_argument, add_precision_argument,
                        add_run_arguments, add_seed_argument, at_least, finite, non_negative,
                        positive, run_cli, set_seed)
from common.callbacks import HistoryCSV, WeightsCheckpoint, backup_and_restore, fit_once
from common.distribute import training_strategy
from common.figures import loss_curves, read_history
from common.metrics import psnr
from common.precision import choose_precision
from common.runs import finish_run, open_run, record_settings, save_model_summary, write_metrics


ASSIGNMENT_NOISE_VARIANCES = [0.05, 0.1, 0.15]


def rule_breaks(args):
    """How `args` break the 2023 assignment 3 Q2 ([] if they don't): a Gaussian fitted to 256
    codes; in ae_dogs.explore, noise variances 0.05, 0.1, 0.15. (c = 8x8x16 is fixed in the model.)"""
    breaks = []
    if args.n_fit != 256:
        breaks.append(f"Gaussian fitted to {args.n_fit} codes, not 256")
    variances = getattr(args, "noise_variances", ASSIGNMENT_NOISE_VARIANCES)
    if sorted(variances) != ASSIGNMENT_NOISE_VARIANCES:
        breaks.append(f"noise variances {'/'.join(f'{v:g}' for v in variances)}, not 0.05/0.1/0.15")
    return breaks


def image_size(text):
    """argparse type: a size the encoder can halve down to the 8x8 latent (16, 32, 64, ...)."""
    value = int(text)
    downsamplings(value)  # raises ValueError, which argparse reports as one line
    return value


image_size.__name__ = "image size (8 times a power of two: 16, 32, 64, 128, ...)"


def add_data_arguments(parser):
    add_data_dir_argument(parser, "dogs/ (or give a folder of dog photos)")
    parser.add_argument("--image-size", type=image_size, default=64,
                        help="photos are resized (short side) and centre-cropped to this; "
                             "8 times a power of two (16, 32, 64, 128)")
    parser.add_argument("--val-fraction", type=finite(float), default=0.1,
                        help="fraction of the photos held out (never trained on) for PSNR and figures")
    parser.add_argument("--limit", type=positive(int),
                        help="use a seeded random subset of this many photos (default: all)")
    parser.add_argument("--epochs", type=positive(int), default=50, help="training epochs per model")
    parser.add_argument("--batch-size", type=positive(int), default=64, help="images per step")
    parser.add_argument("--learning-rate", type=positive(float), default=1e-3, help="Adam's rate")
    parser.add_argument("--n-fit", type=at_least(2), default=256,
                        help="training images whose codes the Gaussian of part (3) is fitted to")
    add_precision_argument(parser)
    add_seed_argument(parser, "the split, weights, shuffling, noise and sampling")
    add_run_arguments(parser, "ae_dogs")


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m ae_dogs.train", description=__doc__,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--noise-variance", type=non_negative(float), default=0.0,
                        help="0: plain autoencoder; V > 0: power-normalise the latent code and add "
                             "N(0, V) noise (std sqrt(V)) while training, e.g. 0.05, 0.1, 0.15")
    add_data_arguments(parser)
    return parser


def dataset(images, batch_size, shuffle_seed=None):
    """uint8 images -> batches of (x, x) float32 in [0, 1] for fit/evaluate."""
    data = tf.data.Dataset.from_tensor_slices(images)
    if shuffle_seed is not None:
        data = data.shuffle(len(images), seed=shuffle_seed, reshuffle_each_iteration=True)
    data = data.map(lambda x: tf.cast(x, tf.float32) / 255.0, num_parallel_calls=tf.data.AUTOTUNE)
    return data.map(lambda x: (x, x)).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def validation_psnr(encoder, decoder, val, noise_variance, seed=0):
    """Mean held-out PSNR of x vs decoder(encoder(x)); for a noise model also with the channel
    noise N(0, V) added to the (power-normalised) codes at test time, as during training."""
    x = val.astype("float32") / 255.0
    codes = encoder.predict(x, verbose=0)
    result = {"val_psnr": psnr(x, decoder.predict(codes, verbose=0))}
    if noise_variance:
        noisy = codes + np.sqrt(noise_variance) * np.random.default_rng(seed).standard_normal(
            codes.shape).astype("float32")
        result["val_psnr_noisy_latent"] = psnr(x, decoder.predict(noisy, verbose=0))
    return result


def train_model(train, val, run_dir, log_dir, noise_variance=0.0, epochs=50, batch_size=64,
                learning_rate=1e-3, seed=0):
    """Train one autoencoder into run_dir; return (encoder, decoder, metrics)."""
    set_seed(seed)
    with training_strategy().scope():
        autoencoder, encoder, decoder = build_autoencoder(train.shape[1], noise_variance or None,
                                                          learning_rate, seed)
    save_model_summary(run_dir / "model_summary.txt", autoencoder)
    callbacks = [
        keras.callbacks.TensorBoard(log_dir=str(log_dir)),
        HistoryCSV(run_dir / "history.csv"),
        WeightsCheckpoint(run_dir / "autoencoder.weights.h5"),
        backup_and_restore(run_dir / "backup"),
        keras.callbacks.TerminateOnNaN(),
    ]
    name = f"noise variance {noise_variance:g}" if noise_variance else "plain"
    print(f"training the {name} autoencoder: {len(train)} images, {epochs} epochs")
    seconds = fit_once(autoencoder, run_dir / "autoencoder.weights.h5",
                       x=dataset(train, batch_size, shuffle_seed=seed), epochs=epochs,
                       validation_data=dataset(val, batch_size) if len(val) else None,
                       callbacks=callbacks, shuffle=False, verbose=2)  # tf.data shuffles itself
    loss_curves(read_history(run_dir / "history.csv"), run_dir / "loss.png",
                f"Dog autoencoder ({name}): MSE per epoch", ylabel="MSE")
    metrics = {"noise_variance": noise_variance, "epochs": epochs, "image_size": train.shape[1],
               "precision": keras.mixed_precision.global_policy().name,
               "n_train": len(train), "n_val": len(val), "train_seconds": round(seconds, 1)}
    if len(val):
        metrics.update(validation_psnr(encoder, decoder, val, noise_variance, seed))
        print(f"held-out PSNR: {metrics['val_psnr']:.2f} dB")
    return encoder, decoder, metrics


def main(argv=None):
    args = build_parser().parse_args(argv)
    args.precision = choose_precision(args.precision)  # recorded resolved: a resumed run keeps it
    settings = record_settings("ae_dogs.train", args, rule_breaks(args))
    train, val = load_dogs(args.data_dir, args.image_size, args.val_fraction, args.limit, args.seed)
    check_enough_images(train, val, args.n_fit)
    run_dir, log_dir, _ = open_run("ae_dogs", args.run_name, settings, args.resume, args.overwrite)
    encoder, decoder, metrics = train_model(train, val, run_dir, log_dir, args.noise_variance,
                                            args.epochs, args.batch_size, args.learning_rate, args.seed)
    metrics.update(latent_experiments(encoder, decoder, train, val, run_dir, args.noise_variance,
                                      args.n_fit, args.seed)["metrics"])
    write_metrics(run_dir / "metrics.json", metrics)
    finish_run(run_dir)
    print(f"results in {run_dir}")


if __name__ == "__main__":
    run_cli(main)
