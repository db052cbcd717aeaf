"""Time AdaIN on this machine: one training step and one stylisation; with --folder, a folder of
images stylised one by one and in batches; with --video, frames per second and the peak memory of
short and long videos. Prints and writes JSON.

    python -m adain.bench --out runs/adain/bench.json
    python -m adain.bench --train 4x128 --folder 50 --video 5,60 --video-sizes 256,512
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import keras
import numpy as np

from common.cli import (HelpFormatter, add_precision_argument, add_seed_argument, non_negative,
                        positive, positive_int_list, run_cli, set_seed)
from common.profiles import record_speed
from common.runs import report_json


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m adain.bench", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--train", default="8x256,4x128", help="BATCHxSIZE train-step settings to time")
    p.add_argument("--stylize-size", type=positive(int), default=512, help="square stylisation size")
    p.add_argument("--repeats", type=positive(int), default=3, help="timed repetitions (after a warm-up)")
    add_precision_argument(p)
    p.add_argument("--folder", type=non_negative(int), default=0,
                   help="also stylise this many --stylize-size images one model call each, then as "
                        "adain.stylize does a folder")
    p.add_argument("--video", type=positive_int_list, default=None, metavar="S1,S2",
                   help="also stylise synthetic videos of these lengths in seconds (each in its "
                        "own process, for its peak memory)")
    p.add_argument("--video-sizes", type=positive_int_list, default=[256, 512],
                   help="square frame sizes of the --video runs")
    p.add_argument("--video-fps", type=positive(int), default=5, help="frame rate of those videos")
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


def folder_throughput(model, n, size, rng):
    """Images per second for n same-size images: one model call each (content and style, as a
    plain loop over the images would do), and as adain.stylize does a folder (the style encoded
    once, compiled forward passes, batches of about a megapixel)."""
    from adain.stylize import encode_styles, same_size_batches, stylize_batch
    from common.gradients import no_gradients

    images = rng.random((n, size, size, 3), dtype=np.float32)
    style = images[:1]
    stylize_batch(model, images[:2], encode_styles(model, style))  # warm-up
    start = time.perf_counter()
    with no_gradients():
        for image in images:
            keras.ops.convert_to_numpy(model((image[None], style)))
    one_by_one = n / (time.perf_counter() - start)
    start = time.perf_counter()
    style_feats = encode_styles(model, style)
    for batch in same_size_batches(list(enumerate(images))):
        stylize_batch(model, np.stack([image for _, image in batch]), style_feats)
    batched = n / (time.perf_counter() - start)
    print(f"{n} images at {size}x{size}: {one_by_one:.2f} images/s one model call each, "
          f"{batched:.2f} as adain.stylize does a folder ({batched / one_by_one:.2f}x)")
    return {"images": n, "size": size, "one_by_one_images_per_second": round(one_by_one, 3),
            "batched_images_per_second": round(batched, 3)}


def _stylize_video_child(source, out, size):
    """In a process of its own: stylise `source`; print frames and seconds as JSON."""
    from adain.model import AdaINModel
    from adain.video import stylize_video

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    count, _ = stylize_video(AdaINModel(), source, [rng.random((size, size, 3), dtype=np.float32)],
                             out, content_size=size, audio=False, progress=False)
    print(json.dumps({"frames": count, "seconds": time.perf_counter() - start}))


def video_run(size, seconds, fps, rng):
    """Frames per second and peak memory (MiB) of stylising a synthetic video, measured in a child
    process so that each video's peak is its own."""
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as tmp:
        source = f"{tmp}/in.mp4"
        writer = imageio_ffmpeg.write_frames(source, (size, size), fps=fps, macro_block_size=1,
                                             ffmpeg_log_level="error")
        writer.send(None)
        for _ in range(seconds * fps):
            writer.send(rng.integers(0, 256, (size, size, 3), dtype=np.uint8))
        writer.close()
        code = f"from adain.bench import _stylize_video_child; _stylize_video_child({source!r}, " \
               f"{tmp + '/out.mp4'!r}, {size})"
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the project
        child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": root})
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise RuntimeError(f"the video child failed (status {status})")
    timing = json.loads(output.strip().splitlines()[-1])
    result = {"size": size, "seconds_of_video": seconds, "fps_of_video": fps,
              "frames_per_second": round(timing["frames"] / timing["seconds"], 3),
              "peak_memory_mib": round(usage.ru_maxrss / 1024)}
    print(f"video {size}x{size}, {seconds} s at {fps} fps: {result['frames_per_second']:.2f} frames/s, "
          f"peak {result['peak_memory_mib']} MiB")
    return result


def main(argv=None):
    args = parse_args(argv)
    set_seed(args.seed)
    import tensorflow as tf  # tf.data feeds every Keras backend

    from adain.model import AdaINModel
    from common.precision import choose_precision
    from common.distribute import gpu_count
    from common.gradients import no_gradients

    args.precision = choose_precision(args.precision)
    model = AdaINModel()
    model.compile(optimizer=keras.optimizers.Adam(1e-4))
    rng = np.random.default_rng(args.seed)
    result = {"device": "GPU" if gpu_count() else "CPU", "backend": keras.backend.backend(),
              "precision": args.precision,
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
        with no_gradients():
            keras.ops.convert_to_numpy(model((image, image), alpha=1.0))
        times.append(time.perf_counter() - start)
    result["stylize_seconds"] = {f"{size}x{size}": round(float(np.median(times[1:])), 3)}
    print(f"stylisation at {size}x{size} (content and style): {np.median(times[1:]):.2f} s")
    if args.folder:
        result["folder"] = folder_throughput(model, args.folder, size, rng)
    result["peak_memory_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.video:
        result["video"] = [video_run(side, seconds, args.video_fps, rng)
                           for side in args.video_sizes for seconds in args.video]
    if "4x128" in result["train"]:  # ./run_all.sh --dry-run scales its time estimates by this
        record_speed(adain_step_4x128=result["train"]["4x128"]["seconds_per_step"],
                     precision=args.precision)
    return report_json(result, args.out)


if __name__ == "__main__":
    run_cli(main)
