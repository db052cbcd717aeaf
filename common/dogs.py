"""Dog photos as uint8 arrays, with a fixed held-out split (shared with gan_dogs).

Folder rule: `data_dir` (or common.cli.data_dir() when None) is used as
`<data_dir>/dogs` if that subfolder exists, else `data_dir` itself is taken as the folder of
dog photos (so `--data-dir ~/my_dogs` works directly). Photos anywhere below it are read
(subfolders included), bad files skipped with a warning each.
"""
from pathlib import Path

import numpy as np

from common.cli import UserError, data_dir as find_data_dir
from common.images import list_images, load_image_folder


def dogs_folder(data_dir=None):
    """The folder of dog photos for `--data-dir` (see the module docstring)."""
    root = find_data_dir(data_dir)
    if (root / "dogs").is_dir():
        return root / "dogs"
    others = [name for name in ("adain_examples", "adain_train") if (root / name).is_dir()]
    if others:  # the course's data folder without its dogs: not a folder of dog photos
        raise UserError(f"{root} has no dogs/ folder (it holds {', '.join(others)}): put the dog "
                        f"photos in {root / 'dogs'}, or give --data-dir a folder of dog photos")
    return Path(root)


def load_dogs(data_dir=None, image_size=64, val_fraction=0.1, limit=None, seed=0):
    """(train, val): uint8 arrays (N, image_size, image_size, 3), short side resized, centre-cropped.

    The split is a seeded permutation of the decoded images (sorted by path first), so the same
    seed always holds out the same photos: PSNR is measured on images no model was trained on.
    `limit` reads a seeded random subset of that many photos (UserError if there are fewer).
    """
    if not 0.0 <= val_fraction < 1.0:
        raise UserError(f"--val-fraction must be in [0, 1), got {val_fraction}")
    folder = dogs_folder(data_dir)
    n_files = len(list_images(folder))  # UserError for a missing or empty folder
    if limit and limit > n_files:
        raise UserError(f"asked for {limit} images but {folder} holds only {n_files}")
    images, _ = load_image_folder(folder, image_size, limit=limit, seed=seed)
    n_val = int(round(val_fraction * len(images)))
    if val_fraction > 0 and (n_val < 1 or n_val >= len(images)):
        raise UserError(f"{len(images)} readable image(s) in {folder}: too few to hold out "
                        f"{val_fraction:.0%} for validation and train on the rest")
    order = np.random.default_rng(seed).permutation(len(images))
    return images[order[n_val:]], images[order[:n_val]]
