"""Time one optimisation step (loss and gradient through VGG19) at several image sizes.

    python -m gatys.bench --sizes 256,512 --repeats 5 --out runs/gatys/bench.json

Prints (and with --out writes) JSON: seconds per step for each square size, the median of the
repeats after one warm-up step (which traces the tf.function on TensorFlow).
"""
import argparse
import time

import numpy as np

from common.cli import HelpFormatter, positive, run_cli
from common.runs import report_json


def time_step(size, repeats, pretrained=True):
    from gatys.stylize import StyleTransfer
    rng = np.random.default_rng(0)
    content = rng.random((size, size, 3)).astype(np.float32)
    transfer = StyleTransfer(content, content, pretrained=pretrained)
    image = content[None]
    transfer(image)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        transfer(image)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m gatys.bench", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--sizes", default="256,512", help="comma-separated square image sizes")
    p.add_argument("--repeats", type=positive(int), default=5, help="timed steps per size")
    p.add_argument("--out", default=None, help="also write the JSON here")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import keras

    from common.distribute import gpu_count
    result = {"device": "GPU" if gpu_count() else "CPU", "backend": keras.backend.backend(),
              "repeats": args.repeats,
              "seconds_per_step": {s: time_step(int(s), args.repeats) for s in args.sizes.split(",")}}
    return report_json(result, args.out)


if __name__ == "__main__":
    run_cli(main)
