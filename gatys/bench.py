"""Time one optimisation step (loss and gradient through VGG19) at several image sizes.

    python -m gatys.bench --sizes 256,512 --repeats 5

Prints JSON: seconds per step for each size (median of the repeats, after one warm-up step).
"""
import argparse
import json
import time

import numpy as np

from common.cli import positive, run_cli


def time_step(size, repeats, pretrained=True):
    from gatys.stylize import StyleTransfer
    rng = np.random.default_rng(0)
    content = rng.random((size, size, 3)).astype(np.float32)
    transfer = StyleTransfer(content, content, pretrained=pretrained)
    image = content[None]
    transfer(image)  # warm-up: traces the tf.function
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        transfer(image)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m gatys.bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="256,512", help="comma-separated square image sizes")
    p.add_argument("--repeats", type=positive(int), default=5, help="timed steps per size")
    args = p.parse_args(argv)
    import tensorflow as tf
    result = {"device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
              "seconds_per_step": {s: time_step(int(s), args.repeats) for s in args.sizes.split(",")}}
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    run_cli(main)
