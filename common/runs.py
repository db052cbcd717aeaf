"""Run folders and what every run writes: runs/<package>/<run-name>/ and logs/<package>/<run-name>/."""
import json
import math
import time
from pathlib import Path

import numpy as np


# What this process's command was run with: stamped on every figure (common.figures.save_figure)
# and written into every metrics.json (write_metrics), so no result is separated from its settings.
RECORDED = {}
_NOT_SETTINGS = ("data_dir", "run_name", "out", "content_dir", "style_dir", "mnist_path",
                 "vgg_weights", "inception_weights", "probe_content", "probe_style", "resume", "content", "style")


def record_settings(prog, args, rule_breaks=()):
    """Record `args` (an argparse Namespace) as this process's settings, with the ways they break
    the assignment's rules ([] = they meet them). Returns the settings dict."""
    settings = {k: v for k, v in sorted(vars(args).items())
                if v is not None and k not in _NOT_SETTINGS and not callable(v)}
    RECORDED.clear()
    RECORDED.update(command=prog, settings=settings, breaks_assignment_rules=list(rule_breaks))
    return settings


def settings_footer():
    """One line for a figure: 'REDUCED (why) · command · key=value, ...', or '' if nothing recorded."""
    if not RECORDED:
        return ""
    values = ", ".join(f"{k}={_short(v)}" for k, v in RECORDED["settings"].items())
    breaks = RECORDED["breaks_assignment_rules"]
    reduced = f"REDUCED ({'; '.join(breaks)}) · " if breaks else ""
    return f"{reduced}python -m {RECORDED['command']} · {values}"


def _short(value):
    if isinstance(value, (list, tuple)):
        return "/".join(_short(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def default_run_name():
    return time.strftime("%Y%m%d-%H%M%S")


def run_dirs(package, run_name=None, root="."):
    """Create and return (run_dir, log_dir) for one run. TensorBoard: `tensorboard --logdir logs`."""
    run_name = run_name or default_run_name()
    run_dir = Path(root) / "runs" / package / run_name
    log_dir = Path(root) / "logs" / package / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    return run_dir, log_dir


def save_model_summary(path, *models):
    """Write each model's printed structure (`model.summary()`) to one text file, and return it."""
    lines = []
    for model in models:
        model.summary(print_fn=lambda line, *a, **k: lines.append(line), expand_nested=True)
        lines.append("")
    text = "\n".join(lines)
    Path(path).write_text(text)
    return text


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (Path, np.ndarray)):
        return str(value) if isinstance(value, Path) else value.tolist()
    return value


def write_metrics(path, metrics, merge=True):
    """Write `metrics` as JSON (merged into an existing file unless merge=False), with the recorded
    command and settings under "run" (record_settings); return all."""
    path = Path(path)
    existing = json.loads(path.read_text()) if merge and path.is_file() else {}
    existing.update(_jsonable({"run": dict(RECORDED), **metrics} if RECORDED else metrics))
    path.write_text(json.dumps(existing, indent=2, sort_keys=True) + "\n")
    return existing


def report_json(result, out=None):
    """Print a benchmark's result as JSON and, with `out`, also write it there."""
    text = json.dumps(_jsonable(result), indent=2)
    print(text)
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text + "\n")
    return result
