"""Run folders and what every run writes: runs/<package>/<run-name>/ and logs/<package>/<run-name>/.

One rule keeps a student's trained models safe (open_run): a folder holding a finished run is never
written into again, an unfinished one is continued only by the same settings, and every file that
matters is written to a temporary name and renamed (atomic_write), so a kill at any moment leaves
the old file or the new one, never half of one.
"""
import atexit
import contextlib
import errno
import json
import math
import os
import time
from pathlib import Path
from unittest import mock

from common.cli import UserError

RUN_FILE = "run.json"  # in every run folder: the command, its settings, and whether it finished


# What this process's command was run with: stamped on every figure (common.figures.save_figure)
# and written into every metrics.json (write_metrics), so no result is separated from its settings.
RECORDED = {}
_NOT_SETTINGS = ("data_dir", "run_name", "out", "content_dir", "style_dir", "mnist_path",
                 "vgg_weights", "inception_weights", "probe_content", "probe_style", "resume",
                 "overwrite", "content", "style")


def record_settings(prog, args, rule_breaks=()):
    """Record `args` (an argparse Namespace) as this process's settings, with the ways they break
    the assignment's rules ([] = they meet them). Returns the settings dict."""
    settings = {k: v for k, v in sorted(vars(args).items())
                if v is not None and k not in _NOT_SETTINGS and not callable(v)}
    RECORDED.clear()
    RECORDED.update(command=prog, settings=settings, breaks_assignment_rules=list(rule_breaks))
    return settings


def inherit_breaks(run_dir):
    """Add to this process's rule breaks those of the run it evaluates (its run.json), so that an
    evaluation of a reduced run is labelled REDUCED too, in its figures and metrics.json."""
    state = read_run(run_dir)
    for reason in state.get("breaks_assignment_rules", []):
        if RECORDED and reason not in RECORDED["breaks_assignment_rules"]:
            RECORDED["breaks_assignment_rules"].append(reason)


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


@contextlib.contextmanager
def atomic_write(path):
    """Yield a temporary path beside `path` (its name ends like `path`'s, so Keras and PIL accept
    it); when the block ends without error, rename it onto `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        yield temporary
        os.replace(temporary, path)
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        raise UserError(f"the disk is full: could not write {path} (the earlier version, if any, "
                        "is kept); free some space, then run the same command again") from err
    finally:
        temporary.unlink(missing_ok=True)


def write_text(path, text):
    """Path.write_text, atomically."""
    with atomic_write(path) as temporary:
        temporary.write_text(text)
    return Path(path)


def _state(run_dir):
    """The run.json of a folder; {"finished": True} for a folder with files but no run.json (made
    by hand or by an older version: never written into); None for no folder or an empty one."""
    if (run_dir / RUN_FILE).is_file():
        return json.loads((run_dir / RUN_FILE).read_text())
    if run_dir.is_dir() and any(run_dir.iterdir()):
        return {"finished": True}
    return None


def open_run(package, run_name, settings, resume=False, overwrite=False, root="."):
    """Create or reopen runs/<package>/<run-name>/ (and its logs/ folder) by the rule above:
    - no such run: a fresh folder (with `resume`, an error: there is nothing to continue);
    - a finished run: an error naming the two ways on; `overwrite` first moves the folder (and its
      logs) aside to <name>.old-<time>, so nothing is deleted;
    - an unfinished run (killed or interrupted): continued when its recorded settings equal
      `settings`, else an error naming the settings that differ.
    Returns (run_dir, log_dir, continuing)."""
    run_name = run_name or default_run_name()
    run_dir, log_dir = (Path(root) / top / package / run_name for top in ("runs", "logs"))
    state = _state(run_dir)
    ways = f"choose another --run-name, or add --overwrite (it moves {run_dir} to {run_name}.old-<time>)"
    if state is not None and overwrite:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for folder in (run_dir, log_dir):
            if folder.exists():
                folder.rename(folder.with_name(f"{folder.name}.old-{stamp}"))
        print(f"--overwrite: the earlier run is kept as {run_dir}.old-{stamp}")
        state = None
    if state is None:
        if resume:
            raise UserError(f"--resume: {run_dir} holds no unfinished run to continue "
                            "(leave out --resume to start one)")
        run_dir.mkdir(parents=True, exist_ok=True)
        log_dir.mkdir(parents=True, exist_ok=True)
        write_text(run_dir / RUN_FILE, json.dumps(
            {"command": RECORDED.get("command"), "settings": _jsonable(settings),
             "breaks_assignment_rules": RECORDED.get("breaks_assignment_rules", []),
             "finished": False, "started": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=2) + "\n")
        atexit.register(_discard_if_nothing_written, run_dir, log_dir)
        return run_dir, log_dir, False
    if state.get("finished"):
        raise UserError(f"{run_dir} holds a finished run: {ways}")
    recorded, wanted = state.get("settings", {}), json.loads(json.dumps(_jsonable(settings)))
    differ = [f"{k} {recorded.get(k)} -> {wanted.get(k)}" for k in sorted(set(recorded) | set(wanted))
              if recorded.get(k) != wanted.get(k)]
    if differ:
        raise UserError(f"{run_dir} holds an unfinished run with other settings ({'; '.join(differ)}): "
                        f"repeat its command to continue it, or {ways}")
    log_dir.mkdir(parents=True, exist_ok=True)
    for leftover in run_dir.rglob(".tmp-*"):  # what a kill during atomic_write left behind
        leftover.unlink()
    print(f"continuing the unfinished run in {run_dir}")
    return run_dir, log_dir, True


def _discard_if_nothing_written(run_dir, log_dir):
    """At exit: a new run that wrote nothing besides run.json (it stopped on bad input before any
    work) leaves no folder behind."""
    if run_dir.is_dir() and [p.name for p in run_dir.iterdir()] == [RUN_FILE] \
            and not is_finished(run_dir):
        (run_dir / RUN_FILE).unlink()
        run_dir.rmdir()
        if log_dir.is_dir() and not any(log_dir.iterdir()):
            log_dir.rmdir()


def read_run(run_dir):
    """The run's run.json as a dict (its command, settings, progress, train_seconds)."""
    return _state(Path(run_dir)) or {}


def update_run(run_dir, **fields):
    """Add or change fields of the run's run.json (progress, say)."""
    state = read_run(run_dir)
    state.update(fields)
    write_text(Path(run_dir) / RUN_FILE, json.dumps(state, indent=2) + "\n")


def finish_run(run_dir):
    """Mark the run finished: from now on open_run refuses to write into it."""
    update_run(run_dir, finished=True, ended=time.strftime("%Y-%m-%d %H:%M:%S"))


def is_finished(run_dir):
    state = _state(Path(run_dir))
    return bool(state and state.get("finished"))


def run_dirs(package, run_name=None, root="."):
    """Create and return (run_dir, log_dir) for one run. TensorBoard: `tensorboard --logdir logs`."""
    run_name = run_name or default_run_name()
    run_dir = Path(root) / "runs" / package / run_name
    log_dir = Path(root) / "logs" / package / run_name
    run_dir.mkdir(parents=True, exist_ok=True)
    log_dir.mkdir(parents=True, exist_ok=True)
    return run_dir, log_dir


SUMMARY_WIDTH = 100  # characters at most: the report's 8-pt monospace lines on an A4 page


def save_model_summary(path, *models):
    """Write each model's printed structure (`model.summary()`) to one text file, and return it."""
    lines = []
    for model in models:
        # Keras and rich size the table to the terminal (80 columns under nohup) and cut the
        # "Connected to" column of a graph model; COLUMNS fixes the width whatever runs us
        with mock.patch.dict(os.environ, COLUMNS=str(SUMMARY_WIDTH + 4)):  # Keras keeps 4 spare
            model.summary(print_fn=lambda line, *a, **k: lines.append(line), expand_nested=True)
        lines.append("")
    text = "\n".join(lines)
    write_text(path, text)
    return text


def _jsonable(value):
    # NumPy imported here, not at the top: common.profiles writes through this module and must run
    # on the standard library alone (./run_all.sh --dry-run before .venv exists)
    import numpy as np

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
    write_text(path, json.dumps(existing, indent=2, sort_keys=True) + "\n")
    return existing


def report_json(result, out=None):
    """Print a benchmark's result as JSON and, with `out`, also write it there."""
    text = json.dumps(_jsonable(result), indent=2)
    print(text)
    if out:
        write_text(out, text + "\n")
    return result
