"""Time training epochs of the dense autoencoder in its training configuration; print JSON.

    python -m ae_mnist.bench [--batch-size 256] [--hidden 384,192,96] [--epochs 3]

An epoch here is what `ae_mnist.train` runs: 60,000 float32 images (NumPy arrays) through
`fit` plus the 10,000-image validation pass. The first epoch (graph tracing) is not counted.
On a busy machine wall-clock time overstates the cost; `cpu_seconds_per_epoch` (all threads
together) is what the epoch would take on ONE otherwise idle core.
"""
import argparse
import time

import keras
import numpy as np

from ae_mnist import data
from ae_mnist.model import build_autoencoder, compile_autoencoder
from ae_mnist.train import build_parser
from common.cli import HelpFormatter, positive, positive_int_list, run_cli, set_seed
from common.runs import report_json


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock and process CPU seconds of each epoch (CPU time shows what a shared CPU hides)."""

    def on_train_begin(self, logs=None):
        self.seconds, self.cpu_seconds = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.start, self.cpu_start = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)
        self.cpu_seconds.append(time.process_time() - self.cpu_start)


def main(argv=None):
    train_defaults = build_parser().parse_args([])
    parser = argparse.ArgumentParser(prog="python -m ae_mnist.bench", description=__doc__,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--batch-size", type=positive(int), default=train_defaults.batch_size,
                        help="as in ae_mnist.train")
    parser.add_argument("--hidden", type=positive_int_list, default=train_defaults.hidden,
                        help="encoder hidden widths, as in ae_mnist.train")
    parser.add_argument("--bottleneck", type=positive(int), default=train_defaults.bottleneck,
                        help="latent dimension")
    parser.add_argument("--epochs", type=positive(int), default=3,
                        help="timed epochs (one more, untimed, comes first)")
    parser.add_argument("--mnist-path", default=None, help="an MNIST file (default: the cache)")
    parser.add_argument("--out", default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    set_seed(0)
    (x_train, _), (x_test, _) = data.load(args.mnist_path)
    model, _, _ = build_autoencoder(args.bottleneck, args.hidden)
    steps = -(-len(x_train) // args.batch_size)
    compile_autoencoder(model, train_defaults.learning_rate, steps * (args.epochs + 1))
    timer = EpochTimer()
    model.fit(x_train, x_train, batch_size=args.batch_size, epochs=args.epochs + 1,
              validation_data=(x_test, x_test), callbacks=[timer], verbose=0)
    seconds = float(np.median(timer.seconds[1:]))
    return report_json({
        "seconds_per_epoch": round(seconds, 3),
        "samples_per_second": round(len(x_train) / seconds, 1),
        "cpu_seconds_per_epoch": round(float(np.median(timer.cpu_seconds[1:])), 3),
        "train_images": len(x_train), "validation_images": len(x_test),
        "batch_size": args.batch_size, "hidden": args.hidden, "bottleneck": args.bottleneck,
        "dtype": keras.config.floatx(), "backend": keras.config.backend(),
        "epoch_seconds": [round(s, 3) for s in timer.seconds]}, args.out)


if __name__ == "__main__":
    run_cli(main)
