"""Training callbacks: decoder checkpoints with the probe stylisation, and a whole-run ETA."""
import time

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from common.callbacks import save_weights
from common.images import save_image


class DecoderCheckpoints(keras.callbacks.Callback):
    """At each step in `steps`: save decoder_step_NNNNN.weights.h5 and the probe pair stylised
    (probe_step_NNNNN.png); every epoch: the probe stylisation as a TensorBoard image."""

    def __init__(self, steps, run_dir, log_dir, probe):
        super().__init__()
        self.steps, self.run_dir, self.probe = set(steps), run_dir, probe
        self.writer = tf.summary.create_file_writer(str(log_dir / "images"))

    def _stylise(self):
        content, style = self.probe
        out = self.model((content[None], style[None]))
        return np.clip(ops.convert_to_numpy(out)[0].astype("float32"), 0, 1)

    def _log_image(self, image, step):
        with self.writer.as_default():
            tf.summary.image("cornell x matisse (probe)", image[None], step=step)
        self.writer.flush()

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations)
        if step in self.steps:
            save_weights(self.model.decoder, self.run_dir / f"decoder_step_{step:05d}.weights.h5")
            image = self._stylise()
            save_image(self.run_dir / f"probe_step_{step:05d}.png", image)
            self._log_image(image, step)

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations)
        if step not in self.steps:
            self._log_image(self._stylise(), step)


class ProgressETA(keras.callbacks.Callback):
    """'step S/N (P%), x s/step, ETA h:mm:ss' for the whole run: once early (after `early` steps
    past the first, whose graph tracing would skew the rate) and after each epoch; also the current
    learning rate in the logs (so CSVLogger and TensorBoard record it)."""

    def __init__(self, total_steps, early=10):
        super().__init__()
        self.total, self.early = total_steps, early

    def on_train_begin(self, logs=None):
        self.start_step = None

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations)
        if self.start_step is None:  # after BackupAndRestore has restored the step counter
            self.start_step, self.start_time, self.early_pending = step, time.time(), True
        elif self.early_pending and step - self.start_step == self.early:
            self.early_pending = False
            self._report(step)

    def on_epoch_end(self, epoch, logs=None):
        opt = self.model.optimizer
        if logs is not None:
            logs["learning_rate"] = float(ops.convert_to_numpy(opt.learning_rate))
        self._report(int(opt.iterations))

    def _report(self, step):
        per_step = (time.time() - self.start_time) / max(1, step - self.start_step)
        eta = time.strftime("%H:%M:%S", time.gmtime(per_step * (self.total - step)))
        print(f"step {step}/{self.total} ({100 * step / self.total:.0f}%), {per_step:.2f} s/step, "
              f"ETA {eta}", flush=True)
