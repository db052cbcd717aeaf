"""Write results/summary.md: every step's tables, metrics and figures, labelled with the profile."""
import argparse
import json
from pathlib import Path

from common.cli import UserError, run_cli


def flatten(metrics, prefix=""):
    for key, value in metrics.items():
        if isinstance(value, dict):
            yield from flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def write_summary(results, profile):
    results = Path(results)
    lines = [f"# Results ({profile} profile)", ""]
    if profile == "quick":
        lines += ["**QUICK profile: a smoke run with reduced epochs, steps and image sizes. These "
                  "results do not meet the assignment's settings: run `./run_all.sh --cpu` (or "
                  "`--gpu`) for those.**", ""]
    for step in sorted(p for p in results.iterdir() if p.is_dir()):
        lines += [f"## {step.name}", ""]
        # the steps' own tables first (AdaIN's evaluation, the GAN's scores, ...): the numbers a
        # report quotes, some of which no metrics.json holds
        for table in sorted(step.rglob("*.md")):
            lines += [f"`{table.relative_to(results)}`", "", table.read_text().strip(), ""]
        for metrics_file in sorted(step.rglob("metrics.json")):
            metrics = json.loads(metrics_file.read_text())
            run = metrics.pop("run", {})
            lines += [f"`{metrics_file.relative_to(results)}`", ""]
            if run.get("breaks_assignment_rules"):
                lines += [f"**REDUCED: {'; '.join(run['breaks_assignment_rules'])}**", ""]
            if run:
                settings = ", ".join(f"{k}={v}" for k, v in run["settings"].items())
                lines += [f"Made by `python -m {run['command']}` with {settings}.", ""]
            lines += ["| metric | value |", "|---|---|"]
            for key, value in flatten(metrics):
                shown = f"{value:.4g}" if isinstance(value, float) else value
                lines.append(f"| {key} | {shown} |")
            lines.append("")
        figures = sorted(step.rglob("*.png"))
        lines += [f"- [{f.relative_to(step)}]({f.relative_to(results)})" for f in figures] + [""]
    path = results / "summary.md"
    path.write_text("\n".join(lines))
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m common.summary", description=__doc__)
    parser.add_argument("results", help="the results folder written by run_all.sh, results/PROFILE")
    parser.add_argument("--profile", default=None,
                        help="profile the results were made with (default: the folder's name)")
    args = parser.parse_args(argv)
    if not Path(args.results).is_dir():
        raise UserError(f"{args.results} is not a folder of results (run_all.sh writes results/PROFILE)")
    print(write_summary(args.results, args.profile or Path(args.results).resolve().name))


if __name__ == "__main__":
    run_cli(main)
