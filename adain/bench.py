"""Time AdaIN on this machine: one training step and one stylisation; prints and writes JSON.

    python -m adain.bench --out runs/adain/bench.json
"""
import argparse
import json
import os
import resource
import time

import keras
import numpy as np

from common.cli import HelpFormatter, add_seed_argument, positive, run_cli, set_seed
from common.profiles import SPEED_FILE
from common.runs import report_json


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m adain.bench", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--train", default="8x256,4x128", help="BATCHxSIZE train-step settings to time")
    p.add_argument("--stylize-size", type=positive(int), default=512, help="square stylisation size")
    p.add_argument("--repeats", type=positive(int), default=3, help="timed repetitions (after a warm-up)")
    p.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16"], default="auto",
                   help="auto = mixed_bfloat16 on a CPU with native bf16, else float32")
    p.add_argument("--out", default=None, help="also write the JSON here")
    add_seed_argument(p, "the synthetic images")
    return p.parse_args(argv)


class BatchTimer(keras.callbacks.Callback):
    """Wall time of each training batch."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def main(argv=None):
    args = parse_args(argv)
    set_seed(args.seed)
    import tensorflow as tf

    from adain.model import AdaINModel, choose_precision

    args.precision = choose_precision(args.precision)
    model = AdaINModel()
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    rng = np.random.default_rng(args.seed)
    result = {"device": tf.config.list_logical_devices()[-1].device_type, "precision": args.precision,
              "cpu_threads": os.cpu_count(), "train": {}}
    for setting in args.train.split(","):
        batch, size = map(int, setting.lower().split("x"))
        images = rng.random((2, batch, size, size, 3), dtype=np.float32)
        ds = tf.data.Dataset.from_tensors((images[0], images[1])).repeat()
        timer = BatchTimer()
        model.fit(ds, epochs=1, steps_per_epoch=args.repeats + 1, callbacks=[timer], shuffle=False,
                  verbose=0)
        step = float(np.median(timer.times[1:]))  # the first step traces the graph
        result["train"][setting] = {"seconds_per_step": round(step, 3),
                                    "images_per_second": round(batch / step, 2),
                                    "first_step_seconds": round(timer.times[0], 2)}
        print(f"train step batch {batch} at {size}x{size}: {step:.2f} s ({batch / step:.1f} images/s)")
    size = args.stylize_size
    image = rng.random((1, size, size, 3), dtype=np.float32)
    times = []
    for _ in range(args.repeats + 1):
        start = time.perf_counter()
        np.asarray(model((image, image), alpha=1.0))
        times.append(time.perf_counter() - start)
    result["stylize_seconds"] = {f"{size}x{size}": round(float(np.median(times[1:])), 3)}
    print(f"stylisation at {size}x{size} (content and style): {np.median(times[1:]):.2f} s")
    result["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if "4x128" in result["train"]:  # ./run_all.sh --dry-run scales its time estimates by this
        SPEED_FILE.parent.mkdir(parents=True, exist_ok=True)
        SPEED_FILE.write_text(json.dumps({"adain_step_4x128": result["train"]["4x128"]["seconds_per_step"],
                                          "precision": args.precision}) + "\n")
    return report_json(result, args.out)


if __name__ == "__main__":
    run_cli(main)
