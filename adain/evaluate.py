"""Score a trained AdaIN decoder on held-out content x style pairs against two baselines.

    python -m adain.evaluate --run-name quick

Mean content loss L_c and style loss L_s (the training losses) over --pairs random pairs from
--content-dir x --style-dir (default: the pytorch-AdaIN example images, never used in training),
for: the trained decoder, the untrained decoder (step 0), and the unchanged content image as the
output; and, per style image, the trained decoder's style loss over the unchanged photo's (which
styles it transfers worst). Writes eval.json and eval.md (the tables) into the run folder.
"""
import argparse
import json
from pathlib import Path

import numpy as np

from adain.model import DEFAULT_STYLE_WEIGHT, newest_decoder
from common.cli import (HelpFormatter, UserError, add_data_dir_argument, add_seed_argument,
                        at_least, data_dir, positive, run_cli, run_name, set_seed)
from common.images import center_crop, list_images, load_images, resize_short_side
from common.runs import inherit_breaks, record_settings, write_metrics, write_text


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m adain.evaluate", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--run-name", type=run_name, default=None,
                   help="the training run to score, runs/adain/RUN_NAME/ (default: the newest run "
                        "with a decoder_final.weights.h5)")
    p.add_argument("--run", default=None, help=argparse.SUPPRESS)  # older spelling: the folder
    p.add_argument("--decoder", default=None, help="decoder to score (default: RUN/decoder_final.weights.h5)")
    p.add_argument("--baseline-decoder", default=None,
                   help="untrained decoder (default: RUN/decoder_step_00000.weights.h5)")
    p.add_argument("--content-dir", default=None, help="default: DATA/adain_examples/content")
    p.add_argument("--style-dir", default=None, help="default: DATA/adain_examples/style")
    add_data_dir_argument(p, "adain_examples/")
    p.add_argument("--pairs", type=positive(int), default=40, help="random content x style pairs")
    p.add_argument("--size", type=at_least(16), default=256, help="short side resize + centre crop")
    p.add_argument("--style-weight", type=positive(float), default=None,
                   help="lambda for the total (default: the run's, from metrics.json, else 10)")
    add_seed_argument(p, "the content x style pairs")
    return p.parse_args(argv)


def newest_run():
    decoder = newest_decoder()
    if decoder is None:
        raise UserError("no trained run under runs/adain/: pass --run-name or --decoder")
    return decoder.parent


def load_pairs(content_dir, style_dir, n, size, seed):
    """`n` random (content, style) pairs, short side `size` then centre-cropped, and each pair's
    style file as a path inside `style_dir` (two folders may hold the same file name); bad files
    skipped."""
    def load(folder):
        images, paths, _ = load_images(list_images(folder), max_side=4 * size)
        if not images:
            raise UserError(f"no readable images in {folder}")
        return [center_crop(resize_short_side(image, size), size) for image in images], paths
    (contents, _), (styles, style_paths) = load(content_dir), load(style_dir)
    grid = [(c, s) for c in range(len(contents)) for s in range(len(styles))]
    chosen = np.random.default_rng(seed).permutation(len(grid))[:n]
    return (np.stack([contents[grid[i][0]] for i in chosen]),
            np.stack([styles[grid[i][1]] for i in chosen]),
            [Path(style_paths[grid[i][1]]).relative_to(Path(style_dir).expanduser()).as_posix()
             for i in chosen])


def style_ratios(style_names, trained, unchanged):
    """Per style image, worst first: its pairs, the trained decoder's style loss over the unchanged
    photo's (sums over its pairs, as the overall ratio is over all pairs) and its share of the
    trained decoder's style loss."""
    by_style = {}
    for name in set(style_names):
        mine = [i for i, n in enumerate(style_names) if n == name]
        by_style[name] = {"pairs": len(mine),
                          "ratio": sum(trained[i] for i in mine) / sum(unchanged[i] for i in mine),
                          "share": sum(trained[i] for i in mine) / sum(trained)}
    return dict(sorted(by_style.items(), key=lambda item: -item[1]["ratio"]))


def main(argv=None):
    args = parse_args(argv)
    record_settings("adain.evaluate", args)
    set_seed(args.seed)
    if args.run_name:
        args.run = Path("runs/adain") / args.run_name
    run = Path(args.run) if args.run else (None if args.decoder and args.baseline_decoder else newest_run())
    if run:
        inherit_breaks(run)  # a decoder trained for fewer steps than the assignment's is REDUCED
    decoder_path = args.decoder or run / "decoder_final.weights.h5"
    baseline_path = args.baseline_decoder or run / "decoder_step_00000.weights.h5"
    style_weight = args.style_weight
    if style_weight is None:  # the lambda the run was trained with
        metrics_file = run / "metrics.json" if run else None
        trained = json.loads(metrics_file.read_text()) if metrics_file and metrics_file.is_file() else {}
        style_weight = trained.get("style_weight", DEFAULT_STYLE_WEIGHT)
    data = None if args.content_dir and args.style_dir else data_dir(args.data_dir)
    content, style, style_names = load_pairs(
        args.content_dir or data / "adain_examples" / "content",
        args.style_dir or data / "adain_examples" / "style", args.pairs, args.size, args.seed)

    import keras

    from adain.model import AdaINModel, load_decoder
    from common.gradients import no_gradients

    model = AdaINModel(style_weight=style_weight)
    candidates = {"trained decoder": load_decoder(decoder_path),
                  "untrained decoder (step 0)": load_decoder(baseline_path),
                  "unchanged content image": None}
    results, pair_style_losses = {}, {}
    for name, decoder in candidates.items():
        if decoder is not None:
            model.decoder = decoder
        losses = []  # one pair at a time: the per-style table needs each pair's losses
        for c, s in zip(content, style):
            with no_gradients():
                pair = model.compute_losses(c[None], s[None],
                                            output=c[None] if decoder is None else None)
            losses.append([float(keras.ops.convert_to_numpy(v)) for v in pair])
        total, content_loss, style_loss = np.mean(losses, axis=0)
        pair_style_losses[name] = [loss[2] for loss in losses]
        results[name] = {"content_loss": content_loss, "style_loss": style_loss, "total_loss": total}
        print(f"{name}: content {content_loss:.4g}, style {style_loss:.4g}, total {total:.4g}")

    lines = [f"Mean losses over {len(content)} held-out content x style pairs at {args.size}x{args.size} "
             f"(lambda = {style_weight:g}; decoder {decoder_path})", "",
             "| output | content loss L_c | style loss L_s | total L_c + lambda L_s |",
             "|---|---:|---:|---:|"]
    lines += [f"| {name} | {r['content_loss']:.4g} | {r['style_loss']:.4g} | {r['total_loss']:.4g} |"
              for name, r in results.items()]
    by_style = style_ratios(style_names, pair_style_losses["trained decoder"],
                            pair_style_losses["unchanged content image"])
    lines += ["", "The trained decoder per style image, worst first:", "",
              "| style image | pairs | style loss / the unchanged photo's | share of its "
              "style loss |",
              "|---|---:|---:|---:|"]
    lines += [f"| {name} | {r['pairs']} | {r['ratio']:.3f}x | {100 * r['share']:.0f} % |"
              for name, r in by_style.items()]
    # eval.md is the run's own final decoder on the held-out pairs (the profile summary reads it);
    # another decoder or other pairs get a file of their own beside it
    stem = "_".join(["eval"]
                    + ([Path(decoder_path).name.removesuffix(".weights.h5")] if args.decoder else [])
                    + (["other_pairs"] if args.content_dir or args.style_dir else []))
    out_dir = run or Path(decoder_path).parent
    write_text(out_dir / f"{stem}.md", "\n".join(lines) + "\n")
    write_metrics(out_dir / f"{stem}.json", {"pairs": len(content), "size": args.size,
                                           "style_weight": style_weight, "results": results,
                                           "style_ratio_by_style": by_style}, merge=False)
    print("\n".join(lines))
    print(f"written to {out_dir / stem}.md and .json")
    return results


if __name__ == "__main__":
    run_cli(main)
