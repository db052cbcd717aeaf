"""What every command-line entry point shares: one-line errors, seeding, the data folder, and the
argparse types that turn a bad number (0, -1, nan, inf) into a one-line usage error."""
import argparse
import math
import os
import random
import sys
from pathlib import Path


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Every command's --help: the module docstring's layout kept, and each flag's default shown
    (unless it is None or False, whose meaning the help text gives)."""

    def _get_help_string(self, action):
        if action.default is None or action.default is False or action.default is argparse.SUPPRESS:
            return action.help
        # a flag that takes no value: "--no-denoise ... (default: True)" reads as if skipping were
        # the default (BooleanOptionalAction's --x/--no-x pair does say which is on)
        if action.nargs == 0 and not isinstance(action, argparse.BooleanOptionalAction):
            return action.help
        return super()._get_help_string(action)


class UserError(Exception):
    """A problem the user can fix (bad flag, missing file); printed as one line, no traceback."""


def run_cli(main, argv=None):
    """Run `main(argv)`; turn a UserError or Ctrl-C into a one-line message and an exit code."""
    try:
        return main(argv)
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("\ninterrupted: work up to the last checkpoint is kept (use --resume where offered)",
              file=sys.stderr)
        sys.exit(130)


def set_seed(seed):
    """Fix Python, NumPy and Keras (hence TensorFlow) random number generators."""
    import keras
    import numpy as np
    random.seed(seed)
    np.random.seed(seed)
    keras.utils.set_random_seed(seed)


def data_dir(explicit=None):
    """The data folder: --data-dir, else $DATA_DIR, else ./data, else ../shared/data."""
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_dir():
            raise UserError(f"--data-dir {explicit} is not a folder")
        return path
    if os.environ.get("DATA_DIR"):
        path = Path(os.environ["DATA_DIR"]).expanduser()
        if not path.is_dir():
            raise UserError(f"$DATA_DIR={path} is not a folder")
        return path
    project_root = Path(__file__).resolve().parent.parent
    for candidate in (Path.cwd() / "data", project_root / "data", project_root.parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    raise UserError("no data folder: pass --data-dir DIR or set DATA_DIR "
                    "(see README, 'Getting the data')")


def existing_file(path, what):
    """Path(path), or a UserError that says whether it is missing or a folder."""
    path = Path(path).expanduser()
    if path.is_dir():
        raise UserError(f"{what} {path} is a folder, not a file")
    if not path.is_file():
        raise UserError(f"{what} {path} does not exist")
    return path


def run_name(text):
    """argparse type: a run folder's name below runs/PACKAGE/, which may contain '/' but may not
    leave that folder (an absolute path or '..' would write a run anywhere)."""
    parts = Path(text).parts
    if not parts or Path(text).is_absolute() or ".." in parts:
        raise ValueError
    return text


run_name.__name__ = "run name (a relative folder name without '..')"


def add_seed_argument(parser, what):
    """--seed, as every command has it; `what` says what it seeds."""
    parser.add_argument("--seed", type=seed, default=0, help=f"random seed of {what}")


def add_precision_argument(parser):
    """--precision, as the AdaIN and GAN commands have it (common.precision.choose_precision)."""
    parser.add_argument("--precision", choices=["auto", "float32", "mixed_bfloat16"], default="auto",
                        help="compute dtype; mixed_bfloat16 = bf16 convolutions, float32 weights, "
                             "statistics and losses; auto = mixed_bfloat16 where the hardware has "
                             "bf16 (a CPU with AVX512-BF16 or AMX, a GPU of compute capability 8+), "
                             "else float32")


def add_data_dir_argument(parser, holding):
    """--data-dir, as every command that reads the data folder has it (rules: data_dir())."""
    parser.add_argument("--data-dir", default=None,
                        help=f"the data folder, holding {holding} (default: $DATA_DIR, ./data, "
                             "then ../shared/data)")


def add_run_arguments(parser, package, resume=True):
    """--run-name and --overwrite (and --resume), as every command that writes a run folder has
    them; common.runs.open_run applies them."""
    parser.add_argument("--run-name", type=run_name, default=None,
                        help=f"run folder runs/{package}/RUN_NAME/ (may contain '/'); default: a "
                             "timestamp. A folder holding a finished run is never written into")
    parser.add_argument("--overwrite", action="store_true",
                        help="if RUN_NAME holds a run, move it to RUN_NAME.old-<time> and start afresh")
    if resume:
        parser.add_argument("--resume", action="store_true",
                            help="continue the unfinished (interrupted) run RUN_NAME; an error if "
                                 "there is none. The same command again continues it too")


def finite(kind=float):
    """argparse type: a finite number (not nan or inf)."""
    def parse(text):
        value = kind(text)
        if not math.isfinite(value):
            raise ValueError
        return value
    parse.__name__ = f"finite {kind.__name__}"
    return parse


def positive(kind=int):
    """argparse type: a finite number > 0 (so `--bottleneck 0` is a one-line argparse error)."""
    def parse(text):
        value = finite(kind)(text)
        if not value > 0:
            raise ValueError
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def at_least(minimum):
    """argparse type: an integer >= minimum (a Gaussian fitted to one code, or a grid of one
    point, would fail only after the training)."""
    def parse(text):
        value = int(text)
        if value < minimum:
            raise ValueError
        return value
    parse.__name__ = f"integer >= {minimum}"
    return parse


def seed(text):
    """argparse type: a random seed, 0 <= seed < 2**32 (what NumPy accepts)."""
    value = int(text)
    if not 0 <= value < 2**32:
        raise ValueError
    return value


seed.__name__ = "seed (an integer from 0 to 4294967295)"


def auto_or(kind):
    """argparse type: 'auto' (kept as the string, resolved by the command) or a `kind` value."""
    def parse(text):
        return "auto" if text == "auto" else kind(text)
    parse.__name__ = f"'auto' or {kind.__name__}"
    return parse


def non_negative(kind=float):
    """argparse type: a finite number >= 0."""
    def parse(text):
        value = finite(kind)(text)
        if not value >= 0:
            raise ValueError
        return value
    parse.__name__ = f"non-negative {kind.__name__}"
    return parse


def positive_int_list(text):
    """argparse type: '512,256,128' -> [512, 256, 128], every entry > 0."""
    values = [int(item) for item in text.split(",") if item.strip()]
    if not values or min(values) <= 0:
        raise ValueError
    return values


positive_int_list.__name__ = "comma-separated list of positive integers"


def float_list(text):
    """argparse type: '0.3,0.6,0.9' -> [0.3, 0.6, 0.9], every entry finite."""
    values = [finite(float)(item) for item in text.split(",") if item.strip()]
    if not values:
        raise ValueError
    return values


float_list.__name__ = "comma-separated list of numbers"


def non_negative_list(text):
    """argparse type: '1,0.5,0' -> [1.0, 0.5, 0.0], every entry finite and >= 0."""
    values = float_list(text)
    if min(values) < 0:
        raise ValueError
    return values


non_negative_list.__name__ = "comma-separated list of non-negative numbers"
