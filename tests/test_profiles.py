"""The run_all.sh profiles: every --cpu command meets the assignment texts' literal rules; dry runs."""
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from common import profiles
from common.runs import record_settings, settings_footer, write_metrics

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def data_folder(tmp_path, monkeypatch):
    """The plans name files in the data folder; the tests must not need the real one."""
    monkeypatch.setenv("DATA_DIR", str(tmp_path))


def parsed_commands(profile):
    """{module: parsed args} for every command of the profile (each module's own parse_args)."""
    parsed = {}
    for step in profiles.STEPS:
        commands, seconds, _ = profiles.step_plan(step, profile)
        assert seconds > 0
        for argv, _ in commands:
            module = importlib.import_module(argv[0])
            parsed[argv[0]] = module.parse_args([str(a) for a in argv[1:]])
    return parsed


def rule_breaks(parsed):
    """{module: the ways its settings break the assignment} for the modules that check rules."""
    from adain.train import rule_breaks as adain
    from ae_dogs.train import rule_breaks as ae_dogs
    from ae_mnist.train import rule_breaks as ae_mnist
    from gan_dogs.train import rule_breaks as gan
    from vae_mnist.compare import rule_breaks as vae
    checks = {"ae_mnist.compare_l2": ae_mnist, "adain.train": adain, "ae_dogs.explore": ae_dogs,
              "vae_mnist.compare": vae, "gan_dogs.train": gan}
    return {module: check(parsed[module]) for module, check in checks.items()}


def test_cpu_profile_meets_every_literal_requirement():
    parsed = parsed_commands("cpu")
    assert rule_breaks(parsed) == {m: [] for m in rule_breaks(parsed)}
    # the assignment texts' numbers, checked directly as well
    adain = parsed["adain.train"]
    assert adain.steps >= 10000 and sorted(adain.checkpoints) == [0.1, 0.5, 0.8, 1.0]
    ae = parsed["ae_mnist.compare_l2"]
    assert ae.bottleneck == 2 and ae.noise_factor == 0.4 and ae.denoise and ae.l2 > 0
    from ae_dogs.model import LATENT_SHAPE
    assert LATENT_SHAPE == (8, 8, 16)
    assert parsed["ae_dogs.explore"].noise_variances == [0.05, 0.1, 0.15]
    assert parsed["ae_dogs.explore"].n_fit == 256
    assert set(parsed["vae_mnist.compare"].priors) == {"standard", "mog", "vamp"}
    gan = parsed["gan_dogs.train"]
    assert {10, 30, 50} <= set(gan.snapshot_epochs) and gan.epochs >= 50
    assert parsed["gan_dogs.evaluate"].n_images == 300
    # part 4 uses a style other than part 3's, with the alphas of an even student ID
    stylize = [argv for argv, _ in profiles.step_plan("adain", "cpu")[0] if argv[0] == "adain.stylize"]
    part3, part4 = (importlib.import_module("adain.stylize").parse_args([str(a) for a in argv[1:]])
                    for argv in stylize)
    assert len(part3.content) == 2 and part3.style != part4.style and part4.alpha == [0.3, 0.6, 0.9]


def test_quick_profile_is_labelled_where_it_breaks_the_rules():
    breaks = rule_breaks(parsed_commands("quick"))
    assert breaks["adain.train"] == ["600 steps < 10000"]
    assert "epoch 10/30/50" in breaks["gan_dogs.train"][0]


def test_gpu_profile_uses_the_reference_settings():
    parsed = parsed_commands("gpu")
    adain = parsed["adain.train"]
    assert (adain.batch_size, adain.image_size, adain.load_size) == (8, 256, 512)
    assert not any(rule_breaks(parsed).values())


def test_dry_run_lists_every_step_with_an_estimate_and_runs_nothing(tmp_path):
    # a checkout with no runs and no .venv yet (run_all.sh works in its own folder)
    shutil.copy(ROOT / "run_all.sh", tmp_path)
    (tmp_path / "common").symlink_to(ROOT / "common")
    start = time.time()
    result = subprocess.run(["bash", str(tmp_path / "run_all.sh"), "--dry-run", "--cpu"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.time() - start < 10
    out = result.stdout
    for step in profiles.STEPS:
        assert f"== step {step} (cpu): about " in out
    assert "python -m adain.train --run-name cpu --steps 10000" in out
    assert "--snapshot-epochs 10,30,50" in out
    alias = subprocess.run(["bash", str(tmp_path / "run_all.sh"), "--dry-run", "--full",
                            "--only", "adain"],
                           capture_output=True, text=True, timeout=60)
    assert "--batch-size 8 --image-size 256" in alias.stdout and "== step gatys" not in alias.stdout
    hand_in = subprocess.run(["bash", str(tmp_path / "run_all.sh"), "--dry-run", "--cpu", "--only",
                              "gatys", "--name", "张三", "--student-id", "7"],
                             capture_output=True, text=True, timeout=60)
    assert hand_in.returncode == 0 and hand_in.stdout.splitlines()[-1] == (
        "== then the hand-ins (seconds): python -m report --assignment all --name 张三 "
        "--student-id 7 --profile cpu")


def test_dry_run_needs_only_the_standard_library(tmp_path):
    """./run_all.sh --dry-run answers before .venv exists: common.profiles and what it imports
    must not need NumPy (or anything else outside the standard library)."""
    code = ("import sys; sys.modules['numpy'] = None; from common import profiles; "
            "profiles.main(['--profile', 'cpu', '--dry-run'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert "== step gatys (cpu): about " in result.stdout


def test_dry_run_without_a_data_folder_shows_its_place_as_DATA(monkeypatch):
    def no_data_folder():
        raise profiles.UserError("no data folder")
    monkeypatch.setattr(profiles, "data_dir", no_data_folder)
    commands, _, _ = profiles.step_plan("adain", "cpu")  # the training command says it is missing
    assert Path("DATA/adain_examples/content/golden_gate.jpg") in commands[2][0]


def test_finished_runs_are_skipped_and_a_finished_profile_says_so(tmp_path, capsys):
    def run_folder(step, finished):
        folder = tmp_path / "runs" / step / "cpu"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run.json").write_text(json.dumps({"finished": finished}))

    run_folder("ae_mnist", True)
    run_folder("vae_mnist", False)  # interrupted: its command runs again and continues it
    profiles.run_profile("cpu", ["ae_mnist", "vae_mnist"], dry_run=True, root=tmp_path)
    out = capsys.readouterr().out
    assert "done already" in out.split("step vae_mnist")[0]
    # the estimate is what is left: the finished step counts for nothing
    assert "== step ae_mnist (cpu): finished\n" in out and "2 step(s), 1 finished" in out
    vae_alone = out.split("== step vae_mnist (cpu): about ")[1].split(" (")[0]
    assert f"about {vae_alone} left" in out
    assert "   python -m vae_mnist.compare --run-name cpu --epochs 50\n" in out
    run_folder("vae_mnist", True)
    profiles.run_profile("cpu", ["ae_mnist", "vae_mnist"], dry_run=False, root=tmp_path)
    out = capsys.readouterr().out  # not a dry run, yet nothing runs: everything is finished
    assert "step(s) ae_mnist, vae_mnist of profile --cpu are finished" in out and "python -m" not in out
    profiles.run_profile("cpu", ["ae_mnist", "vae_mnist"], dry_run=True, overwrite=True, root=tmp_path)
    out = capsys.readouterr().out
    assert "compare_l2 --run-name cpu --epochs 100 --denoise-epochs 20 --overwrite" in out
    assert "compare --run-name cpu --epochs 50 --overwrite" in out and "done already" not in out


def test_a_run_folder_made_by_hand_counts_as_finished_as_open_run_sees_it(tmp_path):
    """open_run refuses to write into a folder with files but no run.json; run_all must not
    start the step's command only to see it stop with that error."""
    folder = tmp_path / "runs" / "gatys" / "cpu"
    assert not profiles.done(folder)
    folder.mkdir(parents=True)
    assert not profiles.done(folder)  # empty: nothing to protect
    (folder / "my_result.png").write_bytes(b"png")
    assert profiles.done(folder)


def test_estimates_scale_with_this_machines_bench(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(profiles, "SPEED_FILE", tmp_path / "speed.json")
    profiles.run_profile("cpu", ["ae_mnist"], dry_run=True, root=tmp_path)
    reference = capsys.readouterr().out
    assert "reference machine (0.35 s" in reference
    (tmp_path / "speed.json").write_text(json.dumps({"adain_step_4x128": 0.7}))
    profiles.run_profile("cpu", ["ae_mnist"], dry_run=True, root=tmp_path)
    slower = capsys.readouterr().out
    minutes = [int(text.split(" h ")[1][:2]) + 60 * int(text.split(" h ")[0][-1])
               for text in (reference.split("about ")[2], slower.split("about ")[2])]
    assert minutes[1] == pytest.approx(2 * minutes[0], abs=1)  # 0.7 s / 0.35 s


@pytest.mark.parametrize("step, done, left, unit", [
    ("adain", {"steps_done": 4000}, "6000 of 10000 steps left", "adain_step_4x128"),
    ("gan_dogs", {"epochs_done": 20}, "30 of 50 epochs left", "gan_epoch_64")])
def test_an_interrupted_run_is_estimated_by_what_is_left(tmp_path, monkeypatch, step, done, left,
                                                         unit):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    whole, _ = profiles.step_plan(step, "cpu", root=tmp_path)[1:]
    folder = tmp_path / "runs" / step / "cpu"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"finished": False, **done}))
    seconds, how = profiles.step_plan(step, "cpu", root=tmp_path)[1:]
    per_unit = profiles.SECONDS[unit]
    assert whole - seconds == pytest.approx(list(done.values())[0] * per_unit)
    assert how.startswith(f"{left} x {per_unit} s")
    # --overwrite moves the run aside and starts again: the whole step is left
    assert profiles.step_plan(step, "cpu", root=tmp_path, overwrite=True)[1] == whole


def test_a_step_run_whole_times_its_own_estimates_afterwards(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(profiles, "SPEED_FILE", tmp_path / "speed.json")
    (tmp_path / "speed.json").write_text(json.dumps({"adain_step_4x128": 0.7}))  # 2x the reference
    clock, reference = [1000.0], profiles.step_plan("ae_mnist", "cpu")[1]

    def fake_run(argv, **kwargs):  # each command takes half the reference time, finishing its run
        clock[0] += reference / 2
        if argv[2] == "ae_mnist.compare_l2":
            folder = tmp_path / "runs/ae_mnist/cpu"
            folder.mkdir(parents=True)
            (folder / "run.json").write_text(json.dumps({"finished": True}))
    monkeypatch.setattr(profiles.subprocess, "run", fake_run)
    monkeypatch.setattr(profiles.time, "time", lambda: clock[0])
    profiles.run_profile("cpu", ["ae_mnist"], root=tmp_path)
    speeds = json.loads((tmp_path / "speed.json").read_text())
    assert speeds == {"adain_step_4x128": 0.7,
                      "step_seconds": {"ae_mnist": {"profile": "cpu", "seconds": reference / 2}}}
    capsys.readouterr()
    profiles.run_profile("quick", ["ae_mnist", "vae_mnist"], dry_run=True, root=tmp_path)
    out = capsys.readouterr().out
    ae_line, vae_line = (line for line in out.splitlines() if line.startswith("== step"))
    assert "this step took 0.50x that here before" in ae_line and "took" not in vae_line
    # a corrected reference figure leaves the measurement right: the ratio is taken against it
    monkeypatch.setitem(profiles.SECONDS, "ae_mnist_epoch", 2 * profiles.SECONDS["ae_mnist_epoch"])
    ratio, _ = profiles.speed_factor("ae_mnist")
    assert ratio * profiles.step_plan("ae_mnist", "cpu")[1] == pytest.approx(reference / 2)


def test_settings_reach_metrics_and_figures(tmp_path):
    import argparse

    import numpy as np
    from PIL import Image

    from common.figures import image_grid
    unstamped = image_grid([[np.zeros((8, 8))]], tmp_path / "plain.png", "t")
    args = argparse.Namespace(epochs=3, noise_factor=0.4, run_name="x", data_dir="/data")
    record_settings("demo.train", args, ["3 epochs < 5"])
    written = write_metrics(tmp_path / "metrics.json", {"loss": 1.5})
    assert written == {"loss": 1.5, "run": {"command": "demo.train", "settings": {
        "epochs": 3, "noise_factor": 0.4}, "breaks_assignment_rules": ["3 epochs < 5"]}}
    assert settings_footer() == "REDUCED (3 epochs < 5) · python -m demo.train · epochs=3, noise_factor=0.4"
    stamped = image_grid([[np.zeros((8, 8))]], tmp_path / "stamped.png", "t")
    # the footer is a line of small print below the images
    assert Image.open(stamped).size[1] > Image.open(unstamped).size[1]
    record_settings("demo.train", args)
    assert settings_footer() == "python -m demo.train · epochs=3, noise_factor=0.4"
