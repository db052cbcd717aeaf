"""Training callbacks every trainer uses: the weights and the history, written atomically.

Keras's ModelCheckpoint and CSVLogger write in place, so a kill during a write leaves a truncated
.weights.h5 or a half line in history.csv (which a resumed run then appends after). These write a
temporary file and rename it (common.runs.atomic_write).
"""
import csv
import json
import shutil
import time
import warnings
from pathlib import Path

import keras
import numpy as np

from common.cli import UserError
from common.runs import atomic_write, read_run, update_run, write_text


def save_weights(model, path):
    """model.save_weights(path), atomically, after checking there is room for it (h5py, out of
    space mid-write, crashes the process instead of raising)."""
    needed = sum(np.prod(w.shape) * np.dtype(w.dtype).itemsize for w in model.weights) + 2**20
    free = shutil.disk_usage(Path(path).parent).free
    if free < needed:
        raise UserError(f"no room on the disk for {path} ({needed / 1e6:.0f} MB needed, "
                        f"{free / 1e6:.0f} MB free): free some space, then run the same command "
                        "again to continue from the last checkpoint")
    with atomic_write(path) as temporary:
        model.save_weights(temporary)


class WeightsCheckpoint(keras.callbacks.Callback):
    """After every epoch: the model's weights to `path` (replacing the previous epoch's)."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_epoch_end(self, epoch, logs=None):
        save_weights(self.model, self.path)


class HistoryCSV(keras.callbacks.Callback):
    """One row per epoch ('epoch', then the logs) in `path`, the whole file rewritten each epoch.
    A resumed run (BackupAndRestore restarts at epoch k) keeps the rows of epochs 0..k-1 and
    drops any later ones an interrupted run logged, so no epoch is missing or twice."""

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)

    def on_train_begin(self, logs=None):
        self.rows, self.trimmed = [], False
        if self.path.is_file():
            with open(self.path) as f:
                self.rows = list(csv.DictReader(f))

    def on_epoch_begin(self, epoch, logs=None):
        if not self.trimmed:  # the first epoch of this fit: where a resumed run restarts
            self.rows = [row for row in self.rows if int(row["epoch"]) < epoch]
            self.trimmed = True

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({"epoch": epoch, **{k: float(np.asarray(v)) for k, v in (logs or {}).items()}})
        columns = ["epoch"] + sorted({k for row in self.rows for k in row} - {"epoch"})
        with atomic_write(self.path) as temporary, open(temporary, "w", newline="") as f:
            writer = csv.DictWriter(f, columns, restval="NA")
            writer.writeheader()
            writer.writerows(self.rows)


class RunProgress(keras.callbacks.Callback):
    """After every epoch, in the run's run.json: how far training got (`progress(epoch)`, a dict
    such as {"steps_done": 300}: ./run_all.sh --dry-run estimates the rest from it) and
    `train_seconds`, the training time summed over every session that worked on the run, so a run
    interrupted and continued reports its whole time, not its last session's."""

    def __init__(self, run_dir, progress):
        super().__init__()
        self.run_dir, self.progress = Path(run_dir), progress

    def on_train_begin(self, logs=None):
        self.earlier, self.start = read_run(self.run_dir).get("train_seconds", 0.0), time.time()

    def on_epoch_end(self, epoch, logs=None):
        update_run(self.run_dir, **self.progress(epoch),
                   train_seconds=round(self.earlier + time.time() - self.start, 1))


def fit_once(model, weights_path, **fit_args):
    """model.fit(**fit_args); returns its wall time in seconds. If an earlier call of this command
    (interrupted, now continued) already finished this model, its weights are loaded instead, so a
    command that trains several models resumes at the one it was training. A finished fit leaves
    `<weights_path>.finished` beside the weights (which WeightsCheckpoint writes every epoch)."""
    marker = Path(f"{weights_path}.finished")
    if marker.is_file() and Path(weights_path).is_file():
        with warnings.catch_warnings():  # the file has the optimizer's state too; not needed here
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(weights_path)
        print(f"{weights_path}: finished by an earlier call of this command, loaded (not retrained)")
        return json.loads(marker.read_text())["train_seconds"]
    start = time.time()
    losses = model.fit(**fit_args).history.get("loss", [])
    if not np.all(np.isfinite(losses)):  # TerminateOnNaN stopped it
        raise UserError(f"{weights_path}: the loss became NaN; try a smaller --learning-rate")
    seconds = round(time.time() - start, 1)
    write_text(marker, json.dumps({"train_seconds": seconds}) + "\n")
    return seconds


def backup_and_restore(folder):
    """Keras's BackupAndRestore, keeping the previous training state as well: its own writes are
    not atomic, and with two states a kill during one write still leaves one to resume from."""
    return keras.callbacks.BackupAndRestore(str(folder), double_checkpoint=True)
