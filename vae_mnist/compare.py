"""Train the VAE under every prior and compare them (assignment 5, question 1).

    python -m vae_mnist.compare --run-name full

Each prior's run goes to runs/vae_mnist/<run-name>/<prior>/ (as vae_mnist.train writes it);
runs/vae_mnist/<run-name>/ gets the side-by-side figures aggregated_posterior.png,
latent_grids.png and prior_samples.png, and comparison.md + metrics.json: test -ELBO and the
importance-weighted log-likelihood per prior.
"""
import argparse

from common.cli import HelpFormatter, run_cli
from common.runs import (default_run_name, finish_run, open_run, record_settings, write_metrics,
                         write_text)
from vae_mnist import figures
from vae_mnist.model import PRIORS
from vae_mnist.train import add_training_args, prior_title, train_vae


def prior_list(text):
    """argparse type: 'standard,mog' -> ['standard', 'mog'], each a known prior."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in PRIORS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown prior(s) {', '.join(unknown) or '(none)'}; "
                                         f"choose from {','.join(PRIORS)}")
    if len(set(names)) < len(names):
        raise argparse.ArgumentTypeError(f"a prior is named twice in '{text}'")
    return names


def comparison_table(metrics, iw_samples):
    lines = ["| prior | test -ELBO (nats) | reconstruction | KL term | "
             f"IW log-likelihood, k={iw_samples} (nats) | train time (s) |",
             "|---|---|---|---|---|---|"]
    for title, m in metrics.items():
        lines.append(f"| {title} | {m['test_neg_elbo']:.2f} | {m['test_reconstruction']:.2f} | "
                     f"{m['test_kl']:.2f} | {m['test_iw_log_likelihood']:.2f} | "
                     f"{m['train_seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def rule_breaks(args):
    """How `args` break assignment 5 Q1 ([] if they don't): the standard, the trainable-mixture and
    one more prior, each with a 2-D latent (vae_mnist.compare always uses 2)."""
    missing = [name for name in ("standard", "mog") if name not in args.priors]
    breaks = [f"prior {name} not trained" for name in missing]
    if len(set(args.priors) - {"standard", "mog"}) < 1:
        breaks.append("no third prior of our choice (e.g. vamp)")
    return breaks


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m vae_mnist.compare", description=__doc__,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--priors", type=prior_list, default=list(PRIORS),
                        help="comma-separated priors to train")
    add_training_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = record_settings("vae_mnist.compare", args, rule_breaks(args))
    run_name = args.run_name or default_run_name()
    run_dir, _, _ = open_run("vae_mnist", run_name, settings, args.resume, args.overwrite)

    posterior_panels, grid_panels, vaes, metrics = [], [], {}, {}
    for prior in args.priors:
        print(f"== prior: {prior}")
        vae, z_test, bounds, metrics[prior] = train_vae(
            prior, f"{run_name}/{prior}", args.components, 2, args.epochs, args.batch_size,
            args.learning_rate, args.iw_samples, args.limit, args.seed)
        title = prior_title(prior, args.components)
        posterior_panels.append(dict(title=title, z=z_test, prior=vae.prior, bounds=bounds))
        grid_panels.append(dict(title=title, decoder=vae.decoder, bounds=bounds))
        vaes[title] = vae

    figures.aggregated_posterior(posterior_panels, run_dir / "aggregated_posterior.png")
    figures.latent_grids(grid_panels, run_dir / "latent_grids.png")
    figures.prior_samples(vaes, run_dir / "prior_samples.png")
    table = comparison_table({prior_title(p, args.components): metrics[p] for p in args.priors},
                             args.iw_samples)
    write_text(run_dir / "comparison.md",
               f"Test set ({metrics[args.priors[0]]['test_images']} images), {args.epochs} epochs, "
               f"K = {args.components}; per image, in nats; lower -ELBO and higher log-likelihood "
               f"are better.\n\n" + table)
    write_metrics(run_dir / "metrics.json", metrics, merge=False)
    finish_run(run_dir)
    print(table)


if __name__ == "__main__":
    run_cli(main)
