#!/usr/bin/env bash
# One command for the whole course project: set up .venv, run every assignment step, collect results/.
set -euo pipefail
cd "$(dirname "$0")"

STEPS=(ae_mnist adain ae_dogs vae_mnist gan_dogs gatys)   # in the order they run (common/profiles.py)

usage() {
  cat <<EOF
usage: ./run_all.sh [--cpu | --gpu | --quick] [--dry-run] [--overwrite] [--only STEP[,STEP]]
                    [--data-dir DIR] [--backend tensorflow|torch] [--name NAME --student-id ID]
       ./run_all.sh --tests [PYTEST ARGS...]
       ./run_all.sh --setup | --help

Creates .venv and installs requirements.txt on first use (later calls install nothing unless
requirements.txt changed), then runs each assignment step and copies its figures and metrics to
results/PROFILE/STEP/, with results/PROFILE/summary.md listing them all. Each step's run folder
is runs/STEP/PROFILE/; TensorBoard logs are under logs/ (tensorboard --logdir logs). Finished work
is kept: the same command again continues where an interrupted run stopped, and says so when
everything is finished.

Profiles (named after the machine you have):
  --cpu            meets every requirement of the assignment texts (AdaIN 10,000 iterations, GAN
                   images at epochs 10/30/50 and the FID of 300 images, ...), with the free
                   settings (batch, crop size, epochs) chosen to finish in about 3 hours on a
                   2-core CPU
  --gpu            the reference projects' settings (AdaIN batch 8 of 256-px crops, ...): a GPU job
  --full           the same as --gpu
  --quick          a smoke run of about half an hour on a 2-core CPU; results labelled QUICK
                   (they do not meet the assignment's settings)
                   default: --gpu when nvidia-smi sees a GPU, else --cpu
  --dry-run        print each step's commands and estimated time on this machine; run nothing
  --overwrite      run finished steps again (their run folders move to NAME.old-<time>)
  --backend NAME   Keras backend for every step: tensorflow (default) or torch (the custom train
                   steps of AdaIN, the VAE and the GAN run on both; --setup --backend torch
                   installs torch, or \$TORCH_SPEC, say a CUDA wheel)
  --name NAME --student-id ID
                   then build the hand-ins in reports/ (the .docx reports named as the course
                   asks, author NAME, and the zip archives); or set $STUDENT_NAME, $STUDENT_ID
  --only STEPS     comma-separated subset of: ${STEPS[*]}
  --data-dir DIR   the data folder (default: \$DATA_DIR, ./data, then ../shared/data)
  --tests          run the test suite (pytest); extra arguments go to pytest
  --setup          only create .venv and install requirements.txt
  --help           this text
EOF
}

PROFILE=auto
ONLY="$(IFS=,; echo "${STEPS[*]}")"
ACTION=run
DRY_RUN=()
OVERWRITE=()
STUDENT_NAME="${STUDENT_NAME:-}"
STUDENT_ID="${STUDENT_ID:-}"
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu|--gpu|--quick|--full) PROFILE="${1#--}" ;;
    --dry-run) DRY_RUN=(--dry-run) ;;
    --overwrite) OVERWRITE=(--overwrite) ;;
    --backend) [ $# -ge 2 ] || { echo "error: --backend needs tensorflow or torch" >&2; exit 2; }
               export KERAS_BACKEND="$2"; shift ;;
    --name) [ $# -ge 2 ] || { echo "error: --name needs your name" >&2; exit 2; }
            STUDENT_NAME="$2"; shift ;;
    --student-id) [ $# -ge 2 ] || { echo "error: --student-id needs your student ID" >&2; exit 2; }
                  STUDENT_ID="$2"; shift ;;
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
case "${KERAS_BACKEND:-tensorflow}" in
  tensorflow|torch) ;;
  *) echo "error: --backend must be tensorflow or torch, not ${KERAS_BACKEND}" >&2; exit 2 ;;
esac
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
  if [ "${KERAS_BACKEND:-}" = torch ] && ! .venv/bin/python -c "import torch" 2>/dev/null; then
    # only when asked: TORCH_SPEC picks the wheel (a CUDA one, or "torch==2.13.0" for a CPU one)
    echo "== installing ${TORCH_SPEC:-torch} into .venv (Keras's torch backend)"
    # shellcheck disable=SC2086  # TORCH_SPEC may hold pip options: split it into words
    .venv/bin/python -m pip install --disable-pip-version-check -q ${TORCH_SPEC:-torch}
  fi
}

# After the steps, given a name and an ID: the hand-ins (report/), every assignment whose results
# are complete
HAND_IN=()
if [ -n "$STUDENT_NAME" ] && [ -n "$STUDENT_ID" ]; then
  HAND_IN=(-m report --assignment all --name "$STUDENT_NAME" --student-id "$STUDENT_ID"
           --profile "$PROFILE")
fi

# The steps, their commands and time estimates live in common/profiles.py (standard library only:
# a dry run answers at once, before .venv exists).
if [ "$ACTION" = run ] && [ ${#DRY_RUN[@]} -gt 0 ]; then
  PY=.venv/bin/python; [ -x "$PY" ] || PY="${PYTHON:-python3}"
  "$PY" -m common.profiles --profile "$PROFILE" --only "$ONLY" --dry-run "${OVERWRITE[@]}" || exit
  [ ${#HAND_IN[@]} -eq 0 ] || echo "== then the hand-ins (seconds): python ${HAND_IN[*]}"
  exit 0
fi
setup
PY=.venv/bin/python
case "$ACTION" in
  setup) echo "== .venv is ready"; exit 0 ;;
  tests) exec "$PY" -m pytest -q tests "${PYTEST_ARGS[@]}" ;;
esac
"$PY" -m common.profiles --profile "$PROFILE" --only "$ONLY" "${OVERWRITE[@]}"
[ ${#HAND_IN[@]} -eq 0 ] || exec "$PY" "${HAND_IN[@]}"
