"""Gatys style transfer on three content/style pairs of the example images, plus a comparison
with AdaIN on the first pair when a trained AdaIN decoder exists (the run_all.sh `gatys` step).

    python -m gatys.examples --run-name quick --size 256 --steps 150

Writes runs/gatys/<run-name>/<content>_x_<style>/ for each pair, an overview figure of the three
pairs, the first pair once more from noise (`<pair>_from_noise/`, `init_content_vs_noise.png`,
`init_loss.png`), and `gatys_vs_adain.png` when --adain-decoder (or a
runs/adain/**/decoder_final.weights.h5) is found.
"""
import argparse

from common.cli import (HelpFormatter, add_data_dir_argument, add_run_arguments, data_dir,
                        existing_file, run_cli)
from common.figures import image_grid, read_history
from common.images import load_image
from common.runs import finish_run, open_run, record_settings, write_metrics
from gatys.figures import init_figures
from gatys.stylize import add_loss_flags, load_pair, loss_options, stylize

PAIRS = [("cornell.jpg", "woman_with_hat_matisse.jpg"),
         ("golden_gate.jpg", "la_muse.jpg"),
         ("sailboat.jpg", "brushstrokes.jpg")]


def find_adain_decoder(explicit=None):
    if explicit:
        return existing_file(explicit, "--adain-decoder")
    from adain.model import newest_decoder

    return newest_decoder()


def adain_comparison(content_path, style_path, gatys_image, decoder_path, size, path):
    """One figure: content | style | Gatys result | AdaIN result, same pair and size."""
    from adain.model import AdaINModel, load_decoder
    from adain.stylize import stylize as adain_stylize
    content, style = load_pair(content_path, style_path, size)
    model = AdaINModel(decoder=load_decoder(decoder_path))
    adain_image = adain_stylize(model, content, [style])
    return image_grid([[content, style, gatys_image, adain_image]], path,
                      f"Optimisation (Gatys) vs feed-forward (AdaIN, {decoder_path.parent.name})",
                      cell=3.0, col_labels=["content", "style", "Gatys", "AdaIN"])


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m gatys.examples", description=__doc__,
                                formatter_class=HelpFormatter)
    add_loss_flags(p, init=False)  # both inits are run
    add_data_dir_argument(p, "adain_examples/")
    p.add_argument("--adain-decoder", default=None,
                   help="AdaIN decoder weights for the comparison figure (default: newest "
                        "runs/adain/**/decoder_final.weights.h5; skipped if none)")
    add_run_arguments(p, "gatys", resume=False)
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = record_settings("gatys.examples", args)
    examples = data_dir(args.data_dir) / "adain_examples"
    decoder = find_adain_decoder(args.adain_decoder)  # before the long runs: a bad path fails now
    run_dir, _, _ = open_run("gatys", args.run_name, settings, overwrite=args.overwrite)
    options = {**loss_options(args), "init": "content"}
    rows, summary = [], {}
    for content_name, style_name in PAIRS:
        content, style = examples / "content" / content_name, examples / "style" / style_name
        pair_dir = run_dir / f"{content.stem}_x_{style.stem}"
        print(f"== {content.stem} x {style.stem}")
        metrics = stylize(content, style, pair_dir, **options)
        summary[pair_dir.name] = {k: metrics[k] for k in ("final_loss", "seconds_per_step", "steps")}
        c, s = load_pair(content, style, args.size)
        rows.append([c, s, load_image(pair_dir / "result.png")])
    image_grid(rows, run_dir / "gatys_examples.png",
               f"Gatys style transfer, {args.steps} {args.optimizer} steps at {args.size} px",
               cell=2.6, col_labels=["content", "style", "result"])

    # the first pair again, optimised from uniform noise instead of the photo
    content, style = (examples / sub / name for sub, name in zip(("content", "style"), PAIRS[0]))
    first = run_dir / f"{content.stem}_x_{style.stem}"
    noise_dir = run_dir / f"{first.name}_from_noise"
    print(f"== {content.stem} x {style.stem}, from noise")
    metrics = stylize(content, style, noise_dir, **{**options, "init": "noise"})
    summary[noise_dir.name] = {k: metrics[k] for k in ("final_loss", "seconds_per_step", "steps")}
    totals = {f"init: {init}": read_history(d / "history.csv")["total"]
              for init, d in (("content", first), ("noise", noise_dir))}
    init_figures(*rows[0][:2], load_image(first / "result.png"), load_image(noise_dir / "result.png"),
                 totals, run_dir, f"{first.name}: {args.steps} {args.optimizer} steps at {args.size} px")

    if decoder:
        adain_comparison(content, style, load_image(first / "result.png"), decoder, args.size,
                         run_dir / "gatys_vs_adain.png")
    else:
        print("no AdaIN decoder found: skipped the Gatys-vs-AdaIN figure (train adain first)")
    write_metrics(run_dir / "metrics.json", summary, merge=False)
    finish_run(run_dir)
    print(f"results in {run_dir}")


if __name__ == "__main__":
    run_cli(main)
