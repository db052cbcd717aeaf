#!/usr/bin/env bash
# One command for the whole course project: set up .venv, run every assignment step, collect results/.
set -euo pipefail
cd "$(dirname "$0")"

STEPS=(ae_mnist adain ae_dogs vae_mnist gan_dogs gatys)   # in the order they run; each has a step_NAME function below

usage() {
  cat <<EOF
usage: ./run_all.sh [--quick | --full] [--only STEP[,STEP]] [--data-dir DIR]
       ./run_all.sh --tests [PYTEST ARGS...]
       ./run_all.sh --setup | --help

Creates .venv and installs requirements.txt on first use (later calls install nothing unless
requirements.txt changed), then runs each assignment step and copies its figures and metrics to
results/STEP/, with results/summary.md listing them all. Each step's full run folder is
runs/STEP/<profile>/; TensorBoard logs are under logs/ (tensorboard --logdir logs).

  --quick          reduced epochs, steps and image sizes: finishes in well under an hour on a
                   2-core CPU; results are labelled QUICK (not the assignment's settings)
  --full           the assignment's settings (meant for a GPU)
                   default: --full when a GPU is visible (nvidia-smi), else --quick
  --only STEPS     comma-separated subset of: ${STEPS[*]}
  --data-dir DIR   the data folder (default: \$DATA_DIR, ./data, then ../shared/data)
  --tests          run the test suite (pytest); extra arguments go to pytest
  --setup          only create .venv and install requirements.txt
  --help           this text
EOF
}

PROFILE=auto
ONLY=""
ACTION=run
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) PROFILE=quick ;;
    --full) PROFILE=full ;;
    --only) [ $# -ge 2 ] || { echo "error: --only needs a list of steps" >&2; usage >&2; exit 2; }
            ONLY="$2"; shift ;;
    --only=*) ONLY="${1#--only=}" ;;
    --data-dir) [ $# -ge 2 ] || { echo "error: --data-dir needs a folder" >&2; usage >&2; exit 2; }
                export DATA_DIR="$2"; shift ;;
    --data-dir=*) export DATA_DIR="${1#--data-dir=}" ;;
    --tests) ACTION=tests; shift; PYTEST_ARGS=("$@"); break ;;
    --setup) ACTION=setup ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
if [ -n "${DATA_DIR:-}" ] && [ ! -d "$DATA_DIR" ]; then
  echo "error: data folder $DATA_DIR does not exist" >&2; exit 2
fi

setup() {
  local python="${PYTHON:-python3}"
  if [ ! -x .venv/bin/python ]; then
    echo "== creating .venv with $($python --version)"
    "$python" -m venv .venv
  fi
  local want have
  want="$(sha256sum requirements.txt | cut -d' ' -f1)"
  have="$(cat .venv/.requirements.sha256 2>/dev/null || true)"
  if [ "$want" != "$have" ]; then
    echo "== installing requirements.txt into .venv"
    .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements.txt
    echo "$want" > .venv/.requirements.sha256
  fi
}

setup
PY=.venv/bin/python
case "$ACTION" in
  setup) echo "== .venv is ready"; exit 0 ;;
  tests) exec "$PY" -m pytest -q tests "${PYTEST_ARGS[@]}" ;;
esac

if [ "$PROFILE" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then PROFILE=full; else PROFILE=quick; fi
  echo "== no profile given: using --$PROFILE"
fi
[ "$PROFILE" = quick ] && echo "== QUICK profile: reduced settings, not the assignment's; use --full on a GPU"

# collect STEP: copy the run folder's figures, metrics and tables to results/STEP/ (same sub-folders)
collect() {
  local step="$1" dest="$PWD/results/$1"
  rm -rf "$dest"; mkdir -p "$dest"
  (cd "runs/$step/$PROFILE" && find . -type f \( -name '*.png' -o -name '*.jpg' -o -name '*.json' \
      -o -name '*.md' -o -name '*.csv' -o -name '*.txt' \) -exec install -D -m 644 {} "$dest/{}" \;)
}

# Each step writes runs/STEP/$PROFILE/ (run name = profile).
step_ae_mnist() {
  if [ "$PROFILE" = quick ]; then
    "$PY" -m ae_mnist.compare_l2 --run-name quick --epochs 10
  else
    "$PY" -m ae_mnist.compare_l2 --run-name full --epochs 100
  fi
}

step_adain() {
  local ex run
  ex="$("$PY" -c 'from common.cli import data_dir; print(data_dir())')/adain_examples"
  run="runs/adain/$PROFILE"
  local resume=()
  [ -d "$run/backup" ] && resume=(--resume)   # an interrupted earlier run continues where it stopped
  if [ "$PROFILE" = quick ]; then
    # REDUCED (labelled in every title): 600 steps, batch 4, 128 crops of 256-px images (~10 min on 2 CPU cores)
    "$PY" -m adain.train --run-name quick --steps 600 --batch-size 4 --image-size 128 --load-size 256 "${resume[@]}"
  else
    "$PY" -m adain.train --run-name full --steps 10000 --batch-size 8 --image-size 256 --load-size 512 "${resume[@]}"
  fi
  "$PY" -m adain.evaluate --run "$run"
  "$PY" -m adain.stylize --decoder "$run/decoder_final.weights.h5" --out "$run/part3" \
      --content "$ex/content/golden_gate.jpg" "$ex/content/sailboat.jpg" --style "$ex/style/la_muse.jpg"
  "$PY" -m adain.stylize --decoder "$run/decoder_final.weights.h5" --out "$run/part4" \
      --content "$ex/content/golden_gate.jpg" --style "$ex/style/woman_with_hat_matisse.jpg" --alpha 0.3,0.6,0.9
  "$PY" -m adain.bench --repeats 2 --out "$run/bench.json"
}

step_ae_dogs() {
  if [ "$PROFILE" = quick ]; then
    "$PY" -m ae_dogs.explore --run-name quick --epochs 8
  else
    "$PY" -m ae_dogs.explore --run-name full --epochs 50
  fi
}

step_vae_mnist() {
  if [ "$PROFILE" = quick ]; then
    "$PY" -m vae_mnist.compare --run-name quick --epochs 10
  else
    "$PY" -m vae_mnist.compare --run-name full --epochs 50
  fi
}

step_gan_dogs() {
  if [ "$PROFILE" = quick ]; then
    # REDUCED: 32x32 images, 20 epochs, snapshots at 4/12/20, FID reference 1000 photos
    "$PY" -m gan_dogs.train --run-name quick --image-size 32 --epochs 20 --batch-size 32 --snapshot-epochs 4,12,20
    "$PY" -m gan_dogs.evaluate --run-name quick --n-reference 1000
  else
    "$PY" -m gan_dogs.train --run-name full --epochs 50 --snapshot-epochs 10,30,50
    "$PY" -m gan_dogs.evaluate --run-name full
  fi
}

step_gatys() {
  # compare with this profile's AdaIN decoder when the adain step has made one
  local adain=() decoder="runs/adain/$PROFILE/decoder_final.weights.h5"
  [ -f "$decoder" ] && adain=(--adain-decoder "$decoder")
  if [ "$PROFILE" = quick ]; then
    "$PY" -m gatys.examples --run-name quick --size 256 --steps 150 "${adain[@]}"
    "$PY" -m gatys.bench --sizes 256,512 --repeats 3 --out runs/gatys/quick/bench.json
  else
    "$PY" -m gatys.examples --run-name full --size 512 --steps 300 "${adain[@]}"
    "$PY" -m gatys.bench --sizes 256,512 --repeats 5 --out runs/gatys/full/bench.json
  fi
}

SELECTED=("${STEPS[@]}")
if [ -n "$ONLY" ]; then
  IFS=, read -r -a SELECTED <<< "$ONLY"
  for step in "${SELECTED[@]}"; do
    [[ " ${STEPS[*]} " == *" $step "* ]] || { echo "error: unknown step '$step'; steps: ${STEPS[*]}" >&2; exit 2; }
  done
fi

for step in "${SELECTED[@]}"; do
  echo "== step $step ($PROFILE)"
  start=$SECONDS
  "step_$step"
  collect "$step"
  echo "== step $step done in $((SECONDS - start)) s"
done
"$PY" -m common.summary results --profile "$PROFILE"
echo "== results in results/ (summary: results/summary.md)"
