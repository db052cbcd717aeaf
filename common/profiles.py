"""What `./run_all.sh` runs: every assignment step's commands under each profile, with an estimate.

    python -m common.profiles --profile cpu --dry-run     (what ./run_all.sh --dry-run --cpu does)

Profiles are named after the machine a student has:
- cpu:   meets every literal requirement of the assignment texts (AdaIN >= 10,000 iterations with
         checkpoints at 10/50/80/100 %, GAN images after epochs 10/30/50 and the FID of 300 images,
         bottleneck 2, noise factor 0.4, an 8x8x16 latent, noise variances 0.05/0.1/0.15, a 2-D VAE
         latent under three priors); the settings the texts leave free (batch, crop and image
         size, epochs) are chosen so that the whole profile takes about 3 hours on a 2-core CPU.
- gpu:   the reference projects' settings (AdaIN batch 8 of 256-px crops, 512-px Gatys...): a GPU job.
- quick: a smoke run of about half an hour on a 2-core CPU; labelled QUICK, not for handing in.
Each step writes runs/<step>/<profile>/ and copies its figures, tables and metrics to
results/<profile>/<step>/. A command whose run is finished (common.runs: run.json) or whose output
file exists is skipped, so an interrupted profile continues where it stopped and a finished one
says so; --overwrite runs it all again. step.json in the run folder records the step's wall time.
Only the standard library is used here: `--dry-run` answers in a second, before .venv exists.
"""
import argparse
import json
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from common.cli import HelpFormatter, UserError, data_dir, run_cli
from common.runs import read_run, write_text

STEPS = ["ae_mnist", "adain", "ae_dogs", "vae_mnist", "gan_dogs", "gatys"]
PROFILES = ["cpu", "gpu", "quick"]

# The free settings per profile. The assignment's fixed ones are the commands' defaults and are
# checked by each package's rule_breaks() (tests/test_profiles.py runs that on every command).
SETTINGS = {
    "cpu": {
        "ae_mnist": dict(epochs=100, denoise_epochs=20),
        "adain": dict(steps=10000, batch=4, crop=128),
        # 20 epochs scored the plain model 22.71 dB here (its held-out MSE still fell ~3 % per epoch,
        # and a cosine decay over the 20 epochs scored 22.59: short of steps, not of noise)
        "ae_dogs": dict(epochs=30),
        "vae_mnist": dict(epochs=50),
        "gan_dogs": dict(epochs=50, image_size=64, batch=16, snapshots="10,30,50", n_reference=None),
        "gatys": dict(size=256, steps=150),
    },
    "gpu": {
        "ae_mnist": dict(epochs=100, denoise_epochs=20),
        "adain": dict(steps=10000, batch=8, crop=256),
        "ae_dogs": dict(epochs=50),
        "vae_mnist": dict(epochs=50),
        "gan_dogs": dict(epochs=50, image_size=64, batch=16, snapshots="10,30,50", n_reference=None),
        "gatys": dict(size=512, steps=300),
    },
    "quick": {  # about 30 minutes on the reference machine (./run_all.sh --quick --dry-run)
        "ae_mnist": dict(epochs=10, denoise_epochs=10),
        "adain": dict(steps=600, batch=4, crop=128),
        "ae_dogs": dict(epochs=5),
        "vae_mnist": dict(epochs=6),
        "gan_dogs": dict(epochs=12, image_size=32, batch=16, snapshots="4,8,12", n_reference=1000),
        "gatys": dict(size=256, steps=60),
    },
}

# Seconds per unit of work on the reference machine (2 cores, `python -m adain.bench --train 4x128`
# = 0.35 s per step), measured with the command named; scaled to this machine by its own bench.
REFERENCE_ADAIN_STEP = 0.35
SECONDS = {
    "ae_mnist_epoch": 3.6,            # one model, 60,000 images, batch 256: ae_mnist.bench 3.6-3.9 s
                                      # where adain.bench gave 0.38 s (the --cpu step: 1,366 s at 0.275 s)
    "adain_step_4x128": 0.35,         # bf16 (adain.bench --train 4x128)
    "adain_step_8x256": 2.4,          # bf16 (adain.bench --train 8x256)
    "adain_after_training": 240,      # evaluate 40 pairs, two stylisation figures, bench
    "ae_dogs_epoch_64": 6.3,          # one model, 3,600 photos of 64x64, batch 64, bf16: the
                                      # --cpu step took 933 s where adain.bench gave 0.40 s
    "vae_epoch": 6.0,                 # one prior, 60,000 images, batch 128: 6.8 s where adain.bench
                                      # gave 0.40 s
    "vae_evaluation": 30,             # per prior: test ELBO and importance-weighted likelihood
    "gan_epoch_64": 114,              # the recipe, 3,600 photos of 64x64, batch 16, bf16: 169 s
                                      # per epoch on a 0.52-s AMX machine (epoch 2 of the --cpu run)
    "gan_epoch_32": 16,               # 32x32, batch 16
    "gan_fid_image": 0.03,            # Inception features of one image at 299x299: 0.18 s there
    "gatys_step_256": 0.45,           # gatys.bench at 256x256: 0.52 s where adain.bench gave 0.40 s
    "gatys_step_512": 2.1,            # gatys.bench at 512x512: 2.40 s there
}
# this machine's speed: adain.bench writes the AdaIN step time; run_profile, each step's measured
# wall time and the profile it ran (steps scale differently: Gatys once ran at 0.16x its
# AdaIN-scaled estimate)
SPEED_FILE = Path("runs/speed.json")


def step_plan(step, profile, root=".", overwrite=False):
    """[(argv for `python -m`, what shows it already ran: its run folder, or a file it writes)],
    seconds on the reference machine, and how that estimate was made (`overwrite`: from scratch)."""
    s, run, runs = SETTINGS[profile][step], profile, Path(root) / "runs" / step / profile
    if step == "ae_mnist":
        return ([(["ae_mnist.compare_l2", "--run-name", run, "--epochs", s["epochs"],
                   "--denoise-epochs", s["denoise_epochs"]], runs)],
                (2 * s["epochs"] + s["denoise_epochs"]) * SECONDS["ae_mnist_epoch"] + 60,
                f"2 models x {s['epochs']} epochs + {s['denoise_epochs']} epochs of the "
                f"denoiser, x {SECONDS['ae_mnist_epoch']} s")
    if step == "adain":
        try:
            examples = data_dir() / "adain_examples"
        except UserError:  # a dry run before the data is there still shows its plan; the
            examples = Path("DATA") / "adain_examples"  # training command says what is missing
        decoder = runs / "decoder_final.weights.h5"
        train = ["adain.train", "--run-name", run, "--steps", s["steps"], "--batch-size", s["batch"],
                 "--image-size", s["crop"], "--load-size", 2 * s["crop"]]
        per_step = SECONDS[f"adain_step_{s['batch']}x{s['crop']}"]
        left, steps = what_is_left(runs, s["steps"], "steps", overwrite)
        return ([(train, runs),
                 (["adain.evaluate", "--run-name", run], runs / "eval.md"),
                 # part 3: two photos, one style; part 4: another style, alphas of an even ID
                 (["adain.stylize", "--decoder", decoder, "--out", runs / "part3",
                   "--content", examples / "content" / "golden_gate.jpg",
                   examples / "content" / "sailboat.jpg", "--style", examples / "style" / "la_muse.jpg"],
                  runs / "part3" / "stylized.png"),
                 (["adain.stylize", "--decoder", decoder, "--out", runs / "part4",
                   "--content", examples / "content" / "golden_gate.jpg",
                   "--style", examples / "style" / "woman_with_hat_matisse.jpg",
                   "--alpha", "0.3,0.6,0.9"], runs / "part4" / "stylized.png"),
                 (["adain.bench", "--repeats", 2, "--out", runs / "bench.json"], runs / "bench.json")],
                left * per_step + SECONDS["adain_after_training"],
                f"{steps} x {per_step} s + {SECONDS['adain_after_training']} s evaluation")
    if step == "ae_dogs":
        return ([(["ae_dogs.explore", "--run-name", run, "--epochs", s["epochs"]], runs)],
                4 * s["epochs"] * SECONDS["ae_dogs_epoch_64"] + 60,
                f"4 models x {s['epochs']} epochs x {SECONDS['ae_dogs_epoch_64']} s")
    if step == "vae_mnist":
        return ([(["vae_mnist.compare", "--run-name", run, "--epochs", s["epochs"]], runs)],
                3 * (s["epochs"] * SECONDS["vae_epoch"] + SECONDS["vae_evaluation"]),
                f"3 priors x {s['epochs']} epochs x {SECONDS['vae_epoch']} s")
    if step == "gan_dogs":
        reference = ["--n-reference", s["n_reference"]] if s["n_reference"] else []
        per_epoch = SECONDS[f"gan_epoch_{s['image_size']}"]
        # reference photos, then 300 generated, held-out and noise images, and 300 per snapshot
        fid = ((s["n_reference"] or 3600) + 300 * (3 + len(s["snapshots"].split(",")))) \
            * SECONDS["gan_fid_image"]
        left, epochs = what_is_left(runs, s["epochs"], "epochs", overwrite)
        return ([(["gan_dogs.train", "--run-name", run, "--epochs", s["epochs"], "--image-size",
                   s["image_size"], "--batch-size", s["batch"], "--snapshot-epochs", s["snapshots"]],
                  runs),
                 (["gan_dogs.evaluate", "--run-name", run, *reference], runs / "fid.png")],
                left * per_epoch + fid, f"{epochs} x {per_epoch} s + {fid:.0f} s FID")
    if step == "gatys":
        decoder = Path(root) / "runs" / "adain" / profile / "decoder_final.weights.h5"
        compare = ["--adain-decoder", decoder] if decoder.is_file() else []
        per_step = SECONDS[f"gatys_step_{s['size']}"]
        return ([(["gatys.examples", "--run-name", run, "--size", s["size"], "--steps", s["steps"],
                   *compare], runs),
                 (["gatys.bench", "--sizes", "256,512", "--repeats", 3, "--out", runs / "bench.json"],
                  runs / "bench.json")],
                4 * s["steps"] * per_step + 120,
                f"4 images x {s['steps']} steps x {per_step} s")
    raise UserError(f"unknown step '{step}'; steps: {', '.join(STEPS)}")


def read_speeds():
    try:
        return json.loads(SPEED_FILE.read_text())
    except (OSError, ValueError):
        return {}


def record_speed(**entries):
    """Merge entries into runs/speed.json (dict values merge one level deep)."""
    speeds = read_speeds()
    for key, value in entries.items():
        speeds[key] = {**speeds.get(key, {}), **value} if isinstance(value, dict) else value
    SPEED_FILE.parent.mkdir(parents=True, exist_ok=True)
    write_text(SPEED_FILE, json.dumps(speeds, indent=2) + "\n")


def speed_factor(step=None):
    """(this machine's time / the reference's, how it is known) from runs/speed.json: the step's
    measured wall time over its estimate where it ran here before, else the AdaIN step's."""
    speeds = read_speeds()
    timed = speeds.get("step_seconds", {}).get(step)
    if timed:
        # over today's estimate of the work it did: a corrected SECONDS leaves no stale ratio
        ratio = timed["seconds"] / step_plan(step, timed["profile"], overwrite=True)[1]
        return ratio, f"this step took {ratio:.2f}x that here before"
    if "adain_step_4x128" in speeds:
        measured = speeds["adain_step_4x128"]
        return measured / REFERENCE_ADAIN_STEP, f"this machine ({measured:.2f} s per AdaIN step)"
    return 1.0, (f"the reference machine ({REFERENCE_ADAIN_STEP} s per AdaIN step; run "
                 "`python -m adain.bench --train 4x128` once to scale the times to yours)")


def what_is_left(runs, total, unit, overwrite=False):
    """(how many `unit`s are left, in words): an interrupted run continues where it stopped, which
    its run.json records as steps_done / epochs_done; `overwrite` starts every run again."""
    left = total - (0 if overwrite else read_run(runs).get(f"{unit}_done", 0))
    return left, f"{left} of {total} {unit} left" if left < total else f"{total} {unit}"


def done(output):
    """Has the command that writes `output` finished? A run folder says so in its run.json
    (an interrupted run's folder exists, unfinished; a folder made by hand counts as finished, as
    open_run sees it); a file, by existing."""
    output = Path(output)
    return output.exists() if output.suffix else read_run(output).get("finished", False)


def hours(seconds):
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def collect(step, profile, root="."):
    """Copy the step's figures, tables and metrics to results/<profile>/<step>/ (same sub-folders)."""
    source = Path(root) / "runs" / step / profile
    dest = Path(root) / "results" / profile / step
    shutil.rmtree(dest, ignore_errors=True)
    for path in source.rglob("*"):
        if path.is_file() and path.suffix in (".png", ".jpg", ".json", ".md", ".csv", ".txt") \
                and "backup" not in path.relative_to(source).parts:
            target = dest / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def run_profile(profile, steps, dry_run=False, overwrite=False, root="."):
    """Run (or with dry_run, print) the steps' commands, skipping finished ones; `overwrite` reruns
    them all, each trainer moving its finished run folder aside to <name>.old-<time>."""
    plans = {step: step_plan(step, profile, root, overwrite) for step in steps}
    factors = {step: speed_factor(step) for step in steps}
    finished = {step for step in steps
                if not overwrite and all(done(output) for _, output in plans[step][0])}
    if len(finished) == len(steps):
        what = (f"profile --{profile} is finished" if len(steps) == len(STEPS) else
                f"step(s) {', '.join(steps)} of profile --{profile} are finished")
        print(f"== {what}: the results are in {Path(root) / 'results' / profile}/ (summary.md lists "
              "them); add --overwrite to run again (finished runs are moved aside, not deleted)")
        return
    total = sum(plans[step][1] * factors[step][0] for step in steps if step not in finished)
    print(f"== profile --{profile}: {len(steps)} step(s), {len(finished)} finished, about "
          f"{hours(total)} left (estimated for {speed_factor()[1]})")
    if profile == "quick":
        print("== QUICK profile: a smoke run; its results do not meet the assignment's settings "
              "(use --cpu for those)")
    for step in steps:
        # planned again just before running: the adain step may have left a decoder for gatys
        commands, seconds, how = plans[step] if dry_run else step_plan(step, profile, root, overwrite)
        factor, basis = factors[step]
        scaled = f"; {basis}" if basis.startswith("this step") else ""
        print(f"== step {step} ({profile}): " + ("finished" if step in finished else
              f"about {hours(seconds * factor)} (reference machine: {how}{scaled})"))
        start = time.time()
        timed_whole = True  # no command skipped or continued: the wall time is the step's own
        for argv, output in commands:
            if overwrite and not Path(output).suffix:
                argv = [*argv, "--overwrite"]
            line = "python -m " + shlex.join(map(str, argv))
            if not overwrite and done(output):
                print(f"   done already ({output}): {line}")
                timed_whole = False
                continue
            timed_whole = timed_whole and (overwrite or not Path(output).exists())
            print(f"   {line}", flush=True)
            if not dry_run:
                subprocess.run([sys.executable, "-m", *map(str, argv)], check=True, cwd=root)
        if not dry_run:
            collect(step, profile, root)
            took = time.time() - start  # one reading for step.json, the message and speed.json
            record = Path(root) / "runs" / step / profile / "step.json"
            record.write_text(json.dumps({"profile": profile, "seconds_this_call": round(took),
                                          "commands": [shlex.join(map(str, a)) for a, _ in commands]},
                                         indent=2) + "\n")
            print(f"== step {step} done in {took:.0f} s")
            if timed_whole:
                record_speed(step_seconds={step: {"profile": profile, "seconds": round(took, 1)}})
    if not dry_run:
        subprocess.run([sys.executable, "-m", "common.summary", Path(root) / "results" / profile,
                        "--profile", profile], check=True, cwd=root)


def gpu_visible():
    """What `./run_all.sh` with no profile asks: does nvidia-smi list a GPU?"""
    if not shutil.which("nvidia-smi"):
        return False
    return subprocess.run(["nvidia-smi", "-L"], capture_output=True).returncode == 0


def step_list(text):
    steps = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown or not steps:
        raise argparse.ArgumentTypeError(f"unknown step(s) {', '.join(unknown) or '(none)'}; "
                                         f"steps: {','.join(STEPS)}")
    return [step for step in STEPS if step in steps]  # in the order of STEPS: gatys uses adain's


def main(argv=None):
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `--dry-run | head` ends quietly
    p = argparse.ArgumentParser(prog="python -m common.profiles", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--profile", choices=PROFILES + ["full", "auto"], default="auto",
                   help="full = gpu; auto = gpu when nvidia-smi sees a GPU, else cpu")
    p.add_argument("--only", type=step_list, default=STEPS, help="comma-separated steps to run")
    p.add_argument("--dry-run", action="store_true",
                   help="print each step's commands and estimated time, run nothing")
    p.add_argument("--overwrite", action="store_true",
                   help="run finished steps again; their run folders move to <name>.old-<time>")
    args = p.parse_args(argv)
    profile = {"full": "gpu"}.get(args.profile, args.profile)
    if profile == "auto":
        profile = "gpu" if gpu_visible() else "cpu"
        print(f"== no profile given: {'a GPU is visible' if profile == 'gpu' else 'no GPU'}, "
              f"so --{profile}")
    try:
        run_profile(profile, args.only, args.dry_run, args.overwrite)
    except subprocess.CalledProcessError as err:
        raise UserError(f"step command failed (exit {err.returncode}): {shlex.join(map(str, err.cmd[1:]))}; "
                        f"fix it and run the same ./run_all.sh again: finished work is kept") from None


if __name__ == "__main__":
    run_cli(main)
