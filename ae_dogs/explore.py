"""All of question 2 in one command: the plain autoencoder and the noise-regularised ones.

    python -m ae_dogs.explore --epochs 50 --run-name full

Trains the plain autoencoder (runs/ae_dogs/RUN/plain/) and one per latent noise variance
(runs/ae_dogs/RUN/noise0.05/ ...), each with the figures of parts (2)-(4), then writes part (5)
to runs/ae_dogs/RUN/: psnr_table.md and metrics.json (mean held-out PSNR per model) and figures
comparing the models' Gaussian samples and reconstructions. The photos are decoded once and
every model shares the same held-out split.
"""
import argparse

from common.dogs import load_dogs
from common.precision import choose_precision
from ae_dogs.experiments import check_enough_images, latent_experiments
from ae_dogs.figures import models_rows
from ae_dogs.train import add_data_arguments, rule_breaks, train_model
from common.cli import HelpFormatter, UserError, float_list, run_cli
from common.runs import (default_run_name, finish_run, open_run, record_settings, run_dirs,
                         write_metrics, write_text)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m ae_dogs.explore", description=__doc__,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--noise-variances", type=float_list, default=[0.05, 0.1, 0.15],
                        help="latent noise variances of the regularised models (part 5), "
                             "comma-separated; the plain model (no noise) is always trained too")
    add_data_arguments(parser)
    return parser


def psnr_table(rows):
    lines = ["| model | noise variance | noise std | held-out PSNR (dB) | "
             "held-out PSNR, noise kept at test (dB) |", "|---|---|---|---|---|"]
    for name, m in rows.items():
        variance = m["noise_variance"]
        noisy = f"{m['val_psnr_noisy_latent']:.2f}" if variance else "-"
        lines.append(f"| {name} | {variance:g} | {variance ** 0.5:.3f} | {m['val_psnr']:.2f} | {noisy} |")
    return "\n".join(lines) + "\n"


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    if any(v <= 0 for v in args.noise_variances):
        raise UserError("--noise-variances must all be > 0 (the plain model is always trained)")
    if len(set(args.noise_variances)) < len(args.noise_variances):
        raise UserError("--noise-variances lists a variance twice (each names one model's folder)")
    args.precision = choose_precision(args.precision)  # recorded resolved: a resumed run keeps it
    return args


def main(argv=None):
    args = parse_args(argv)
    settings = record_settings("ae_dogs.explore", args, rule_breaks(args))
    run_name = args.run_name or default_run_name()
    train, val = load_dogs(args.data_dir, args.image_size, args.val_fraction, args.limit, args.seed)
    check_enough_images(train, val, args.n_fit)
    root, _, _ = open_run("ae_dogs", run_name, settings, args.resume, args.overwrite)
    summary, samples, recons = {}, {}, {}
    for variance in [0.0] + args.noise_variances:
        name = f"noise{variance:g}" if variance else "plain"
        run_dir, log_dir = run_dirs("ae_dogs", f"{run_name}/{name}")
        encoder, decoder, metrics = train_model(train, val, run_dir, log_dir, variance, args.epochs,
                                                args.batch_size, args.learning_rate, args.seed)
        result = latent_experiments(encoder, decoder, train, val, run_dir, variance, args.n_fit, args.seed)
        metrics.update(result["metrics"])
        write_metrics(run_dir / "metrics.json", metrics)
        label = f"noise var {variance:g}" if variance else "plain"
        summary[name], samples[label], recons[label] = metrics, result["samples"], result["reconstructions"]
        originals = result["originals"]

    write_text(root / "psnr_table.md", psnr_table(summary))
    write_metrics(root / "metrics.json", {"models": summary, "epochs": args.epochs,
                                          "image_size": args.image_size}, merge=False)
    models_rows(samples, root / "samples_by_model.png",
                f"(5) Decoded samples of a Gaussian fitted to {args.n_fit} latent codes, per model")
    models_rows({"original": originals, **recons}, root / "reconstructions_by_model.png",
                "(5) The same held-out dogs reconstructed by each model", col_label="image")
    finish_run(root)
    print(psnr_table(summary))
    print(f"results in {root}")


if __name__ == "__main__":
    run_cli(main)
