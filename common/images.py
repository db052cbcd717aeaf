"""Reading users' folders of images and writing images.

A user's folder may hold subfolders, non-images, corrupt or truncated files, grayscale, CMYK,
RGBA, palette or 16-bit images, EXIF-rotated phone photos and 12-megapixel photos. Each readable
image comes back upright as float32 RGB in [0, 1]; each unreadable one is skipped with one warning,
and the caller gets the count.
"""
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageFile, ImageOps

from common.cli import UserError
from common.runs import atomic_write

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm"}
Image.MAX_IMAGE_PIXELS = None  # DECODE_LIMIT below is the check, after a JPEG's reduced decode
# Pixels decoded at most (450 MB of RGB): a 200-megapixel JPEG decodes at 1/2..1/8 scale, but a PNG
# or TIFF decodes in full, so a huge one is refused (with its size) instead of exhausting memory.
DECODE_LIMIT = 150_000_000
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, not a grey half-image


def list_images(folder):
    """All files with an image suffix under `folder` (recursively), sorted; UserError if none."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"{folder} is not a folder")
    files = sorted(p for p in folder.rglob("*")
                   if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith("."))
    if not files:
        raise UserError(f"{folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def load_image(path, max_side=None):
    """One image as float32 RGB in [0, 1], upright, its longer side at most `max_side` pixels.

    Raises UserError with a one-line reason when the file cannot be read.
    """
    try:
        with Image.open(path) as img:
            if max_side and img.format == "JPEG":
                # decode a 12-megapixel JPEG at 1/2..1/8 scale: far less time and memory
                img.draft("RGB", (max_side, max_side))
            if img.width * img.height > DECODE_LIMIT:
                raise UserError(f"image {path} is {img.width}x{img.height} pixels, too large to "
                                f"decode in memory: reduce it (or save it as JPEG) first")
            img.load()
            img = ImageOps.exif_transpose(img)
            img = _to_rgb(img)
    except (OSError, ValueError, SyntaxError) as err:
        raise UserError(f"cannot read image {path}: {err}") from err
    if img.width < 2 or img.height < 2:
        raise UserError(f"image {path} is only {img.width}x{img.height} pixels")
    if max_side and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.asarray(img, dtype=np.float32) / 255.0


def _to_rgb(img):
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit grayscale PNG
        scale = 65535.0 if np.asarray(img).max() > 255 else 255.0
        img = Image.fromarray((np.asarray(img, dtype=np.float32) * (255.0 / scale)).astype(np.uint8))
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        background = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(background, img.convert("RGBA"))
    return img.convert("RGB")


def load_images(paths, max_side=None, warn=True):
    """Load many images in parallel threads; return (list of arrays, list of their paths, n_bad)."""
    def try_load(path):
        try:
            return load_image(path, max_side)
        except UserError as err:
            if warn:
                print(f"warning: skipped {err}", file=sys.stderr)
            return None
    with ThreadPoolExecutor(max_workers=4) as pool:
        loaded = list(pool.map(try_load, paths))
    good = [(img, p) for img, p in zip(loaded, paths) if img is not None]
    n_bad = len(paths) - len(good)
    if n_bad and warn:
        print(f"warning: skipped {n_bad} unreadable file(s) of {len(paths)}", file=sys.stderr)
    return [g[0] for g in good], [g[1] for g in good], n_bad


def resize_short_side(image, size):
    """Resize so that the shorter side is `size` (float32 RGB in [0, 1] in and out)."""
    h, w = image.shape[:2]
    scale = size / min(h, w)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    pil = Image.fromarray(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return np.asarray(pil.resize(new, Image.Resampling.BICUBIC), dtype=np.float32) / 255.0


def center_crop(image, size):
    h, w = image.shape[:2]
    top, left = (h - size) // 2, (w - size) // 2
    return image[top:top + size, left:left + size]


def load_image_folder(folder, size, limit=None, seed=0):
    """A folder of photos as a uint8 array (N, size, size, 3): short side resized, centre-cropped.

    With `limit`, a random (seeded) subset of that many files is read.
    """
    paths = list_images(folder)
    if limit and limit < len(paths):
        chosen = np.random.default_rng(seed).choice(len(paths), limit, replace=False)
        paths = [paths[i] for i in sorted(chosen)]
    images, paths, _ = load_images(paths, max_side=4 * size)
    if not images:
        raise UserError(f"no readable images in {folder}")
    batch = np.stack([center_crop(resize_short_side(img, size), size) for img in images])
    return np.clip(batch * 255.0 + 0.5, 0, 255).astype(np.uint8), paths


def save_image(path, image):
    """Write float RGB in [0, 1] (or uint8) as PNG/JPEG, atomically; creates the folder."""
    path = Path(path)
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    with atomic_write(path) as temporary:
        Image.fromarray(image).save(temporary)
    return path
