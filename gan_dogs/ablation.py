"""The techniques of `--arch recipe`, added to the DCGAN one at a time (assignment 5, question 2).

    python -m gan_dogs.ablation --run-name ablation --epochs 12 --image-size 32 --batch-size 16

Trains and scores (gan_dogs.train, then gan_dogs.evaluate) dcgan, dcgan+augment,
dcgan+augment+hinge, dcgan+augment+hinge+ttur, dcgan+augment+hinge+ttur+ema, then + vision,
+ upconv and recipe (+ decay), each in runs/gan_dogs/RUN_NAME/<arch>/, with the same settings
and seed, and writes ablation.md there: FID, KID, precision and recall of each, beside the real
held-out photos' (the floor). A run that was interrupted continues where it stopped when the same
command is given again; finished ones are kept.
"""
import argparse
import json
from pathlib import Path

from common.cli import (HelpFormatter, UserError, add_data_dir_argument, add_seed_argument, positive,
                        run_cli, run_name)
from common.profiles import done
from common.runs import write_text
from gan_dogs import evaluate, train
from gan_dogs.train import TECHNIQUES

ARCHS = ["+".join(["dcgan", *TECHNIQUES[:n]]) for n in range(len(TECHNIQUES))] + ["recipe"]


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m gan_dogs.ablation", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--run-name", type=run_name, required=True, help="folder runs/gan_dogs/RUN_NAME/ for the runs")
    p.add_argument("--epochs", type=positive(int), default=12, help="training epochs of each run")
    p.add_argument("--image-size", type=train.image_size, default=32, help="side of the images")
    p.add_argument("--batch-size", type=positive(int), default=16, help="images per training step")
    p.add_argument("--limit", type=positive(int), default=None,
                   help="read only N random photos of the folder")
    p.add_argument("--n-images", type=positive(int), default=300,
                   help="generated and held-out images scored per run")
    p.add_argument("--n-reference", type=positive(int), default=1000,
                   help="random training photos in the FID reference set")
    add_data_dir_argument(p, "dogs/")
    add_seed_argument(p, "every run (weights, data order, latents)")
    return p.parse_args(argv)


def ablation_table(rows):
    """[(arch, metrics.json of its evaluation)] -> a Markdown table."""
    lines = ["| arch | FID | KID x 1000 | precision | recall |", "|---|---:|---:|---:|---:|"]
    for arch, m in rows:
        lines.append(evaluate.score_row(arch, m["fid_generated"], m["kid_generated"],
                                        (m["precision_generated"], m["recall_generated"])))
    m = rows[0][1]
    lines.append(evaluate.score_row("real held-out photos (floor)", m["fid_real_floor"],
                                    m["kid_real_floor"],
                                    (m["precision_real_held_out"], m["recall_real_held_out"])))
    return "\n".join(lines) + "\n"


def main(argv=None):
    args = parse_args(argv)
    common = [*(["--data-dir", args.data_dir] if args.data_dir else []), "--seed", str(args.seed)]
    rows = []
    for arch in ARCHS:
        name = f"{args.run_name}/{arch}"
        run_dir = Path("runs/gan_dogs") / name
        print(f"== {arch}")
        if not done(run_dir):
            train.main(["--arch", arch, "--run-name", name, "--epochs", str(args.epochs),
                        "--snapshot-epochs", str(args.epochs), "--image-size", str(args.image_size),
                        "--batch-size", str(args.batch_size),
                        *(["--limit", str(args.limit)] if args.limit else []), *common])
        metrics = json.loads((run_dir / "metrics.json").read_text())
        trained = {key: metrics.get(key)
                   for key in ("epochs", "image_size", "batch_size", "limit", "seed")}
        asked = {key: getattr(args, key) for key in trained}
        if trained != asked:  # a finished run of other settings would be tabled under these
            differ = ", ".join(f"{k} {trained[k]} (not {asked[k]})"
                               for k in trained if trained[k] != asked[k])
            raise UserError(f"{run_dir} was trained with {differ}: give another --run-name")
        scored = (metrics.get("fid_images_per_set"), metrics.get("fid_reference_images"))
        if scored != (args.n_images, min(args.n_reference, metrics["train_images"])):
            evaluate.main(["--run-name", name, "--n-images", str(args.n_images),
                           "--n-reference", str(args.n_reference), "--no-by-epoch", *common])
        rows.append((arch, json.loads((run_dir / "metrics.json").read_text())))
    table = ablation_table(rows)
    out = Path("runs/gan_dogs") / args.run_name / "ablation.md"
    write_text(out, f"# {args.epochs} epochs at {args.image_size}x{args.image_size}, batch "
                    f"{args.batch_size}, seed {args.seed}\n\n{table}")
    print(table + f"written to {out}")
    return out


if __name__ == "__main__":
    run_cli(main)
