"""The custom train steps (AdaIN, VAE, GAN) on Keras's torch backend as well as TensorFlow's
(common.gradients.descend): the same weights and batch give the same AdaIN losses and the same
stylisation on both; the VAE and GAN train, and give the same losses from the same weights and
random numbers. Skipped where torch is not installed
(./run_all.sh --setup --backend torch installs it)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from adain.model import build_decoder
from common.vgg import ADAIN_LAYERS, vgg19_features

ROOT = Path(__file__).resolve().parent.parent


def run(backend, folder):
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "other_backend.py"), str(folder)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULTS "):])


def test_torch_trains_and_stylises_as_tensorflow_does(tmp_path):
    pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    vgg19_features(ADAIN_LAYERS, pretrained=False).save_weights(tmp_path / "encoder.weights.h5")
    build_decoder().save_weights(tmp_path / "decoder.weights.h5")  # written by TensorFlow
    np.savez(tmp_path / "batch.npz", content=rng.random((2, 32, 32, 3)).astype("float32"),
             style=rng.random((2, 32, 32, 3)).astype("float32"))
    tf_run, torch_run = run("tensorflow", tmp_path), run("torch", tmp_path)
    assert torch_run["backend"] == "torch"
    np.testing.assert_allclose(torch_run["adain_losses"], tf_run["adain_losses"], rtol=0.01)
    assert torch_run["adain_losses"][-1] < torch_run["adain_losses"][0]
    pixels = [np.load(tmp_path / f"stylised_{b}.npy") for b in ("tensorflow", "torch")]
    assert np.abs(np.clip(pixels[0], 0, 1) - np.clip(pixels[1], 0, 1)).max() <= 1 / 255
    assert all(np.isfinite(torch_run[k]).all() for k in ("vae_losses", "gan_d_loss"))
    assert torch_run["vae_losses"][-1] < torch_run["vae_losses"][0]
    # one epoch of train steps from the same weights and random numbers: the same losses
    np.testing.assert_allclose(torch_run["vae_steps"], tf_run["vae_steps"], rtol=0.01)
    np.testing.assert_allclose(torch_run["gan_steps"], tf_run["gan_steps"], rtol=0.01)
