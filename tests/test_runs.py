"""common.runs: the rule that keeps finished runs safe, and writes that a kill cannot truncate."""
import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from common.cli import UserError
from common.runs import SUMMARY_WIDTH, finish_run, open_run, save_model_summary, write_text

ROOT = Path(__file__).resolve().parent.parent


def test_open_run_follows_the_rule(tmp_path, capsys):
    settings = {"epochs": 2, "lr": 0.001}
    with pytest.raises(UserError, match="--resume: .* holds no unfinished run"):
        open_run("pkg", "r", settings, resume=True, root=tmp_path)
    run_dir, log_dir, continuing = open_run("pkg", "r", settings, root=tmp_path)
    assert not continuing and log_dir.is_dir()
    assert json.loads((run_dir / "run.json").read_text())["finished"] is False
    (run_dir / "model.weights.h5").write_bytes(b"epoch 1")
    (run_dir / ".tmp-123-model.weights.h5").write_bytes(b"half")  # a kill mid-write left this

    # unfinished: the same settings continue it (with or without --resume), others are refused
    with pytest.raises(UserError, match=r"other settings \(epochs 2 -> 3\): repeat its command"):
        open_run("pkg", "r", {**settings, "epochs": 3}, root=tmp_path)
    assert open_run("pkg", "r", settings, resume=True, root=tmp_path)[2] is True
    assert not (run_dir / ".tmp-123-model.weights.h5").exists()

    finish_run(run_dir)
    for resume in (False, True):
        with pytest.raises(UserError, match=f"{run_dir} holds a finished run: choose another "
                                            "--run-name, or add --overwrite"):
            open_run("pkg", "r", settings, resume=resume, root=tmp_path)
    assert (run_dir / "model.weights.h5").read_bytes() == b"epoch 1"

    # --overwrite moves the finished run and its logs aside, whole, and starts afresh
    open_run("pkg", "r", {"epochs": 5}, overwrite=True, root=tmp_path)
    kept = [p for p in (tmp_path / "runs" / "pkg").iterdir() if p.name.startswith("r.old-")]
    assert len(kept) == 1 and (kept[0] / "model.weights.h5").read_bytes() == b"epoch 1"
    assert len(list((tmp_path / "logs" / "pkg").glob("r.old-*"))) == 1
    assert not (run_dir / "model.weights.h5").exists()
    assert "--overwrite: the earlier run is kept as" in capsys.readouterr().out

    # a folder written by hand or by an older version (no run.json) counts as finished
    (tmp_path / "runs" / "pkg" / "by-hand").mkdir()
    (tmp_path / "runs" / "pkg" / "by-hand" / "metrics.json").write_text("{}")
    with pytest.raises(UserError, match="holds a finished run"):
        open_run("pkg", "by-hand", settings, root=tmp_path)


# Saves a checkpoint, then a second one through a writer that stops halfway (a slow disk) until
# the test kills the process with SIGKILL.
SLOW_WRITER = """
import sys, time
import keras, numpy as np
from common.callbacks import save_weights
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
model.layers[0].kernel.assign(np.full((4, 3), 2.0))
save_weights(model, sys.argv[1])
model.layers[0].kernel.assign(np.full((4, 3), 7.0))
keras_save = keras.Model.save_weights
def slow_save(self, path, *args, **kwargs):
    keras_save(self, path, *args, **kwargs)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
        f.flush()
        print("halfway", flush=True)
        time.sleep(120)
        f.write(data[len(data) // 2:])
keras.Model.save_weights = slow_save
save_weights(model, sys.argv[1])
"""


def test_kill_during_a_checkpoint_write_leaves_the_previous_one_loadable(tmp_path):
    path = tmp_path / "model.weights.h5"
    writer = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(path)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert writer.stdout.readline().strip() == "halfway"
        partial = list(tmp_path.glob(".tmp-*model.weights.h5"))
        assert len(partial) == 1 and 0 < partial[0].stat().st_size
    finally:
        writer.kill()  # SIGKILL: no cleanup code runs
        writer.wait()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")])
    model.load_weights(path)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.full((4, 3), 2.0))


def test_atomic_text_write_keeps_the_old_file_on_error(tmp_path):
    path = write_text(tmp_path / "metrics.json", "old")

    class Boom(Exception):
        pass
    from common.runs import atomic_write
    with pytest.raises(Boom):
        with atomic_write(path) as temporary:
            temporary.write_text("half of the new")
            raise Boom
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_run_that_stopped_before_any_work_leaves_no_folder(tmp_path):
    from common.runs import _discard_if_nothing_written
    stopped, _, _ = open_run("pkg", "bad-input", {}, root=tmp_path)
    worked, _, _ = open_run("pkg", "worked", {}, root=tmp_path)
    (worked / "history.csv").write_text("epoch\n0\n")
    for name in ("bad-input", "worked"):  # what atexit does when the command ends
        _discard_if_nothing_written(tmp_path / "runs" / "pkg" / name, tmp_path / "logs" / "pkg" / name)
    assert not stopped.exists() and not (tmp_path / "logs" / "pkg" / "bad-input").exists()
    assert (worked / "history.csv").is_file() and (worked / "run.json").is_file()


def test_a_full_disk_is_a_one_line_error_and_the_old_files_stay(tmp_path, monkeypatch):
    import collections
    import errno
    import os

    import common.callbacks
    import common.runs
    from common.callbacks import save_weights
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    save_weights(model, tmp_path / "model.weights.h5")
    before = (tmp_path / "model.weights.h5").read_bytes()
    usage = collections.namedtuple("usage", "total used free")
    monkeypatch.setattr(common.callbacks.shutil, "disk_usage", lambda path: usage(10**9, 10**9, 1000))
    with pytest.raises(UserError, match=r"no room on the disk for .*model.weights.h5 \(1 MB needed"):
        save_weights(model, tmp_path / "model.weights.h5")
    assert (tmp_path / "model.weights.h5").read_bytes() == before

    def full(*args):
        raise OSError(errno.ENOSPC, "No space left on device")
    write_text(tmp_path / "metrics.json", "old")
    monkeypatch.setattr(common.runs.os, "replace", full)
    with pytest.raises(UserError, match="the disk is full: could not write .*metrics.json"):
        write_text(tmp_path / "metrics.json", "new")
    monkeypatch.setattr(common.runs.os, "replace", os.replace)
    assert (tmp_path / "metrics.json").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json", "model.weights.h5"]


def test_model_summary_is_whole_in_a_narrow_terminal(tmp_path, monkeypatch):
    """A graph model's table keeps its "Connected to" column and full names at 80 columns
    (what nohup gives), so the report prints what the model is."""
    monkeypatch.setenv("COLUMNS", "60")
    image = keras.Input((8, 8, 3), name="image")
    branches = [keras.layers.Dense(1, name=f"{side}_branch")(image) for side in ("left", "right")]
    model = keras.Model(image, keras.layers.Concatenate(name="joined")(branches))
    text = save_model_summary(tmp_path / "summary.txt", model)
    assert (tmp_path / "summary.txt").read_text() == text
    assert "Connected to" in text and "right_branch[0][0]" in text and "…" not in text
    assert max(len(line) for line in text.splitlines()) == SUMMARY_WIDTH


def test_run_progress_sums_the_training_time_of_every_session(tmp_path, monkeypatch):
    import common.callbacks
    from common.callbacks import RunProgress

    run_dir, _, _ = open_run("pkg", "r", {"epochs": 4}, root=tmp_path)
    clock = iter([1000.0, 1012.5, 5000.0, 5020.0, 5030.0])
    monkeypatch.setattr(common.callbacks.time, "time", lambda: next(clock))
    progress = RunProgress(run_dir, lambda epoch: {"epochs_done": epoch + 1})
    progress.on_train_begin()           # the first session: one epoch of 12.5 s, then killed
    progress.on_epoch_end(0)
    progress = RunProgress(run_dir, lambda epoch: {"epochs_done": epoch + 1})
    progress.on_train_begin()           # continued later: two more epochs
    progress.on_epoch_end(1)
    state = json.loads((run_dir / "run.json").read_text())
    assert state["epochs_done"] == 2 and state["train_seconds"] == 12.5 + 20.0
    progress.on_epoch_end(2)
    assert json.loads((run_dir / "run.json").read_text())["train_seconds"] == 12.5 + 30.0
