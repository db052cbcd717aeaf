"""Training callback: the generator checkpoint and images from one fixed latent batch."""
import keras
import numpy as np
import tensorflow as tf
from keras import ops

from common.figures import image_grid
from common.runs import atomic_write
from gan_dogs.data import to_unit
from gan_dogs.figures import stages_figure


def save_model(model, path):
    """model.save(path) (a .keras file), atomically."""
    with atomic_write(path) as temporary:
        model.save(temporary)


class GANMonitor(keras.callbacks.Callback):
    """Every epoch: save generator.keras (the EMA generator when the GAN keeps one; the trained
    one is then generator_raw.keras) and log the fixed batch's images to TensorBoard.
    At each epoch in `snapshot_epochs`: also generator_epoch_NNN.keras, the images as
    snapshots/epoch_NNN.npy and generated_epoch_NNN.png. At the end: stages.png, all snapshot
    epochs in one figure (also those written before a resumed run started)."""

    def __init__(self, latents, snapshot_epochs, run_dir, log_dir):
        super().__init__()
        self.latents, self.snapshot_epochs, self.run_dir = latents, set(snapshot_epochs), run_dir
        (run_dir / "snapshots").mkdir(exist_ok=True)
        self.writer = tf.summary.create_file_writer(str(log_dir / "images"))

    def _generate(self):
        images = self.model(self.latents, training=False)  # the EMA generator where there is one
        return np.clip(ops.convert_to_numpy(to_unit(images)), 0.0, 1.0)

    def on_epoch_end(self, epoch, logs=None):
        epoch += 1
        if self.model.ema_generator is not None:
            self.model.refresh_ema_statistics()
        generator = self.model.ema_generator or self.model.generator  # the one samples come from
        save_model(generator, self.run_dir / "generator.keras")
        if self.model.ema_generator is not None:
            save_model(self.model.generator, self.run_dir / "generator_raw.keras")
        images = self._generate()
        with self.writer.as_default():
            tf.summary.image("generated (fixed z)", images, step=epoch, max_outputs=len(images))
        self.writer.flush()
        if epoch in self.snapshot_epochs:
            save_model(generator, self.run_dir / f"generator_epoch_{epoch:03d}.keras")
            with atomic_write(self.run_dir / "snapshots" / f"epoch_{epoch:03d}.npy") as temporary:
                np.save(temporary, (images * 255 + 0.5).astype(np.uint8))
            image_grid([images], self.run_dir / f"generated_epoch_{epoch:03d}.png",
                       f"Generated dogs after epoch {epoch} (fixed latent batch)")

    def on_train_end(self, logs=None):
        snapshots = {int(f.stem.split("_")[1]): np.load(f) / 255.0
                     for f in sorted((self.run_dir / "snapshots").glob("epoch_*.npy"))}
        if snapshots:
            stages_figure(snapshots, self.run_dir / "stages.png")
