"""Multi-GPU training (common.distribute), with the CPU split into two logical devices standing for
two GPUs: a batch split over two replicas takes the same step as on one device, replicas draw
different random numbers, and the GAN and VAE train steps run under MirroredStrategy (TensorFlow
only: the torch backend trains on one device)."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from common.distribute import ReplicaSeedGenerator, gpu_count, replica_loss, training_strategy

ROOT = Path(__file__).resolve().parent.parent


def test_one_device_changes_nothing():
    # one replica per GPU, and one on a machine without (the tests hold on a 2-GPU machine too)
    assert training_strategy().num_replicas_in_sync == max(1, gpu_count())
    assert float(replica_loss(keras.ops.convert_to_tensor(3.0))) == 3.0
    plain, replica = keras.random.SeedGenerator(5), ReplicaSeedGenerator(5)
    for _ in range(2):
        np.testing.assert_array_equal(keras.random.normal((4,), seed=plain),
                                      keras.random.normal((4,), seed=replica))


@pytest.fixture(scope="module")
def two_replicas():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("several devices need TensorFlow's MirroredStrategy")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "two_replicas.py")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULTS ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULTS "):])


def test_split_batch_takes_the_same_step(two_replicas):
    assert two_replicas["replicas"] == 2
    assert two_replicas["adain_same_start"]
    assert two_replicas["adain_step_norm"] > 0
    # without replica_loss the two replicas' summed gradients would give a step twice as long
    assert two_replicas["adain_step_ratio"] == pytest.approx(1.0, abs=1e-3)
    assert two_replicas["adain_step_difference"] < 1e-3


def test_replicas_draw_different_numbers(two_replicas):
    first, second = two_replicas["draws_two"]
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(two_replicas["draws_one"][0], two_replicas["draws_plain"])


@pytest.mark.parametrize("model, keys", [("gan", ("d_loss", "g_loss")),
                                         ("vae", ("loss", "reconstruction"))])
def test_custom_train_steps_report_the_same_losses_on_two_replicas(two_replicas, model, keys):
    """The GAN's fakes and the VAE's samples differ between runs, so only close, not equal; a
    loss averaged with the wrong replica count would be off by a factor of two."""
    for key in keys:
        one, two = two_replicas[model]["one"][key], two_replicas[model]["two"][key]
        assert math.isfinite(two) and two == pytest.approx(one, rel=0.1), key
