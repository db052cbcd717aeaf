"""Stylise a video frame by frame with a trained AdaIN decoder (pytorch-AdaIN's test_video.py).

    python -m adain.video --input clip.mp4 --style la_muse.jpg --out clip_la_muse.mp4

Frames are streamed: one is read, stylised and written at a time, so a long video needs no more
memory than a short one. The output has the input's frame rate and frame count (H.264, its short
side --content-size); the sound is copied over unless --no-audio. Beside it, OUT.png shows five
frames, input above output. ffmpeg comes with the imageio-ffmpeg wheel.
"""
import argparse
import time
from pathlib import Path

import numpy as np

from common.cli import (HelpFormatter, UserError, add_precision_argument, existing_file, non_negative,
                        run_cli)
from common.figures import image_grid
from common.images import resize_short_side
from common.runs import atomic_write, record_settings


def frames(path):
    """(metadata, generator of uint8 RGB frames) of a video, streamed by ffmpeg."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as err:
        reason = (str(err).strip().splitlines() or ["no video stream"])[-1]
        raise UserError(f"cannot read video {path}: {reason}") from None
    width, height = meta["size"]
    return meta, (np.frombuffer(raw, np.uint8).reshape(height, width, 3) for raw in reader)


def even(image):
    """H.264 in yuv420p needs even sides: drop a last odd row or column."""
    h, w = image.shape[:2]
    return image[:h - h % 2, :w - w % 2]


def stylize_video(model, source, styles, out, alpha=1.0, content_size=512, audio=True,
                  progress=True):
    """Stylise every frame of `source` with `styles` (float32 images) into `out`, and five of them
    into the figure out.png; returns the number of frames and the frame rate."""
    import imageio_ffmpeg
    import keras

    from adain.stylize import encode_styles, stylize_batch

    style_feats = encode_styles(model, styles)
    meta, stream = frames(source)
    fps = meta["fps"]
    expected = int(round(meta.get("duration", 0) * fps)) or None
    bar = keras.utils.Progbar(expected, unit_name="frame") if progress else None
    shown = set(np.linspace(0, (expected or 5 * fps) - 1, 5).round().astype(int))
    strip, count, start = [], 0, time.time()
    with atomic_write(out) as temporary:
        writer = None
        for frame in stream:
            content = frame.astype(np.float32) / 255.0
            if content_size:
                content = resize_short_side(content, content_size)
            stylised = even(stylize_batch(model, content[None], style_feats, [alpha])[0][0])
            image = (stylised * 255 + 0.5).astype(np.uint8)
            if writer is None:  # the size is known once the first frame is stylised
                writer = imageio_ffmpeg.write_frames(
                    str(temporary), (image.shape[1], image.shape[0]), fps=fps, codec="libx264",
                    macro_block_size=1, audio_path=str(source) if audio and meta.get("audio_codec")
                    else None, ffmpeg_log_level="error")
                writer.send(None)
            writer.send(np.ascontiguousarray(image))
            if count in shown:
                strip.append((count, even(content), stylised))  # image_grid takes [0, 1]
            count += 1
            if bar is not None:
                bar.update(count)
        if writer is None:
            raise UserError(f"video {source} has no frames")
        writer.close()
    image_grid([[content for _, content, _ in strip], [image for _, _, image in strip]],
               Path(out).with_suffix(".png"), f"{Path(source).name}, stylised: five frames",
               row_labels=["input", "output"],
               col_labels=[f"frame {i} ({i / fps:.1f} s)" for i, _, _ in strip], cell=2.2)
    if progress:
        print(f"{count} frames at {fps:g} fps in {time.time() - start:.0f} s "
              f"({count / (time.time() - start):.2f} frames per second): {out}")
    return count, fps


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m adain.video", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--input", required=True, help="the video to stylise (any format ffmpeg reads)")
    p.add_argument("--style", required=True, help="the style image")
    p.add_argument("--out", default=None, help="output .mp4 (default: INPUT_STYLE.mp4 beside it)")
    p.add_argument("--alpha", type=non_negative(float), default=1.0,
                   help="content-style trade-off in [0, 1]")
    p.add_argument("--content-size", type=non_negative(int), default=512,
                   help="resize each frame's short side to this (0 = keep)")
    p.add_argument("--style-size", type=non_negative(int), default=512,
                   help="resize the style's short side to this (0 = keep)")
    p.add_argument("--no-audio", action="store_true", help="drop the sound")
    p.add_argument("--decoder", default=None,
                   help="decoder weights (default: the newest runs/adain/**/decoder_final.weights.h5)")
    add_precision_argument(p)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    record_settings("adain.video", args)
    if args.alpha > 1:
        raise UserError(f"--alpha {args.alpha} is outside [0, 1]")
    source = existing_file(args.input, "video")
    style_path = existing_file(args.style, "style image")
    out = Path(args.out or source.with_name(f"{source.stem}_{style_path.stem}.mp4"))
    from adain.model import AdaINModel, load_decoder
    from adain.stylize import default_decoder, load_input
    from common.precision import choose_precision

    style = load_input(style_path, args.style_size)
    choose_precision(args.precision)
    model = AdaINModel(decoder=load_decoder(args.decoder or default_decoder()))
    stylize_video(model, source, [style], out, args.alpha, args.content_size,
                  audio=not args.no_audio)
    return out


if __name__ == "__main__":
    run_cli(main)
