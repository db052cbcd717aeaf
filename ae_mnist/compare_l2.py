"""Train the 2-D autoencoder with and without L2 weight regularisation and compare (2023 edition, Q1(5)).

    python -m ae_mnist.compare_l2 --run-name full --epochs 100

Both runs use the same seed, data and settings; only `--l2` differs. The run without L2 also trains
the denoising autoencoder, so one call produces every figure of question 1:
runs/ae_mnist/RUN_NAME/no_l2/ and .../l2_<factor>/ hold each run's files, RUN_NAME/ itself the
side-by-side latent figure, comparison.md and metrics.json.
"""
import argparse

import numpy as np

from ae_mnist import figures, train
from common.cli import UserError, run_cli
from common.runs import (default_run_name, finish_run, open_run, record_settings, write_metrics,
                         write_text)


def parse_args(argv=None):
    parser = train.build_parser("python -m ae_mnist.compare_l2", __doc__)
    parser.set_defaults(l2=1e-4)
    parser.description += "\n--l2 is the factor of the regularised run."
    args = parser.parse_args(argv)
    if args.l2 == 0:
        raise UserError("--l2 must be > 0 for a comparison with the unregularised run")
    if args.bottleneck != 2:
        raise UserError("the latent-space comparison needs --bottleneck 2")
    return args


def main(argv=None):
    args = parse_args(argv)
    settings = record_settings("ae_mnist.compare_l2", args, train.rule_breaks(args))
    run_name = args.run_name or default_run_name()
    run_dir, _, _ = open_run("ae_mnist", run_name, settings, args.resume, args.overwrite)

    def variant(**changes):
        """One model's settings, recorded as its figures' and metrics' settings (no_l2: l2=0)."""
        one = argparse.Namespace(**{**vars(args), **changes})
        record_settings("ae_mnist.compare_l2", one, train.rule_breaks(one))
        return one
    runs = {"no L2": train.run(variant(l2=0.0, run_name=f"{run_name}/no_l2")),
            f"L2 {args.l2:g}": train.run(variant(denoise=False, run_name=f"{run_name}/l2_{args.l2:g}"))}
    record_settings("ae_mnist.compare_l2", args, train.rule_breaks(args))

    figures.side_by_side({name: (r["codes"], r["labels"], r["box"], r["grid_images"])
                          for name, r in runs.items()},
                         run_dir / "l2_comparison.png",
                         f"2-D latent space without and with L2 weight regularisation "
                         f"({args.epochs} epochs, seed {args.seed})")
    table = {}
    for name, r in runs.items():
        scores = r["metrics"]["autoencoder"]
        table[name] = {**{k: scores[k] for k in ("test_bce_per_pixel", "test_mse", "test_psnr_db")},
                       "code_std": r["codes"].std(axis=0),
                       "code_radius_95": float(np.percentile(np.linalg.norm(r["codes"], axis=1), 95))}
    write_metrics(run_dir / "metrics.json", {"l2": args.l2, "runs": table}, merge=False)
    lines = ["| run | test BCE/pixel | test MSE | mean PSNR (dB) | code std (z1, z2) | 95% code radius |",
             "|---|---|---|---|---|---|"]
    for name, row in table.items():
        std = ", ".join(f"{s:.2f}" for s in row["code_std"])
        lines.append(f"| {name} | {row['test_bce_per_pixel']:.4f} | {row['test_mse']:.4f} | "
                     f"{row['test_psnr_db']:.2f} | {std} | {row['code_radius_95']:.2f} |")
    write_text(run_dir / "comparison.md", "\n".join(lines) + "\n")
    finish_run(run_dir)
    print("\n".join(lines))
    print(f"comparison: {run_dir}")


if __name__ == "__main__":
    run_cli(main)
