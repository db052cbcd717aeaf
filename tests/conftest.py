"""Shared test setup."""
import pytest


@pytest.fixture(autouse=True)
def no_recorded_settings():
    """A command called in-process records its settings for the rest of the process (they stamp
    every figure and metrics.json); start and leave every test without any."""
    from common import runs
    runs.RECORDED.clear()
    yield
    runs.RECORDED.clear()


@pytest.fixture(autouse=True)
def float32_policy():
    """A command called in-process with --precision auto sets Keras's global dtype policy (bf16 on
    bf16 hardware) for the rest of the process; start and leave every test in float32."""
    import keras
    keras.mixed_precision.set_global_policy("float32")
    yield
    keras.mixed_precision.set_global_policy("float32")


@pytest.fixture
def second_run_is_refused():
    """check(main, argv, run_dir): after a finished run in run_dir, the same command (and the same
    with --resume) is refused with the 'finished run' error, and no byte of the folder changes."""
    from pathlib import Path

    from common.cli import UserError

    def snapshot(folder):
        return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}

    def check(main, argv, run_dir):
        before = snapshot(run_dir)
        assert any(p.name == "metrics.json" for p in before)
        assert any(p.name.endswith((".weights.h5", ".keras")) for p in before)
        for extra in ([], ["--resume"]):
            with pytest.raises(UserError, match="holds a finished run: choose another --run-name, "
                                                "or add --overwrite"):
                main(argv + extra)
        assert snapshot(run_dir) == before
    return check


class Photos:
    """Synthetic photos for the folder-reading commands: random noise, or (smooth=True) smooth
    colour ramps, which a tiny autoencoder learns within a few epochs."""

    @staticmethod
    def image(size=(40, 32), smooth=False, seed=0):
        import numpy as np
        rng = np.random.default_rng(seed)
        width, height = size
        if not smooth:
            return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
        ramp = np.linspace(0, 1, width)[None, :, None] * rng.uniform(-120, 120, 3)
        return np.clip(rng.uniform(0, 255, 3) + ramp + np.zeros((height, width, 3)), 0,
                       255).astype(np.uint8)

    def one(self, path, size=(40, 32), smooth=False, seed=0):
        from PIL import Image
        Image.fromarray(self.image(size, smooth, seed)).save(path)
        return path

    def folder(self, folder, n, size=(40, 32), smooth=False, seed=0):
        """n photos im0.png, im1.png, ... of `size` (width, height) in `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(n):
            self.one(folder / f"im{i}.png", size, smooth, seed * 1000 + i)
        return folder


@pytest.fixture
def photos():
    return Photos()


@pytest.fixture
def fake_mnist():
    """A stand-in for MNIST's load_mnist(): ((x_train, y_train), (x_test, y_test)), uint8."""
    import numpy as np

    def load(n_train=240, n_test=120, seed=0):
        """'Digit' d is a bright horizontal bar at rows 2d+4..2d+6, plus speckle."""
        rng = np.random.default_rng(seed)

        def make(n):
            labels = np.arange(n) % 10
            images = (rng.random((n, 28, 28)) < 0.05) * 80
            for i, d in enumerate(labels):
                images[i, 2 * d + 4:2 * d + 7, 4:24] = 255
            return images.astype(np.uint8), labels.astype(np.uint8)
        return make(n_train), make(n_test)
    return load
