"""Figures a student can paste into a report: titled, labelled, PNG at 150 dpi (matplotlib Agg)."""
import csv
import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from common.runs import atomic_write, settings_footer


def save_figure(fig, path, dpi=150):
    """Save `fig` as PNG (creating the folder) with the command's settings in small print at the
    bottom (common.runs.record_settings), close it, and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    footer = settings_footer()
    if footer:
        width = fig.get_size_inches()[0]  # ~ 14 characters per inch at 6.5 pt: wrap to the figure
        fig.text(0.01, -0.01, textwrap.fill(footer, max(40, int(width * 16))), ha="left", va="top",
                 fontsize=6.5, color="0.35", transform=fig.transFigure)
    with atomic_write(path) as temporary:
        fig.savefig(temporary, dpi=dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    return path


def image_grid(rows, path, title, row_labels=None, col_labels=None, cell=1.4, cmap="gray"):
    """Draw rows of images (each a sequence of HxW or HxWx3 arrays in [0, 1]) with labels.

    row_labels go on the left of each row, col_labels above the first row (or per image, as a
    list of lists of the same shape as `rows`).
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    height = max(np.asarray(img).shape[0] / np.asarray(img).shape[1] for r in rows for img in r)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell * n_cols + 0.8, cell * height * n_rows + 0.6),
                             squeeze=False)
    per_image_labels = bool(col_labels) and isinstance(col_labels[0], (list, tuple))
    for i, row in enumerate(rows):
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j >= len(row):
                continue
            img = np.clip(np.asarray(row[j], dtype=np.float32), 0, 1)
            if img.ndim == 3 and img.shape[-1] == 1:
                img = img[..., 0]
            ax.imshow(img, cmap=cmap if img.ndim == 2 else None, vmin=0, vmax=1)
            label = (col_labels[i][j] if per_image_labels else
                     col_labels[j] if col_labels and i == 0 else None)
            if label is not None:
                ax.set_title(str(label), fontsize=9)
        if row_labels:
            axes[i, 0].set_ylabel(row_labels[i], fontsize=10, rotation=0, ha="right", va="center")
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return save_figure(fig, path)


def draw_latent_grid(ax, images, box, title, xlabel="latent z1", ylabel="latent z2"):
    """Images decoded from an n x n grid of 2-D latent points, drawn at their coordinates.

    images: (n, n, h, w) with images[i, j] decoded at (z1_j, z2_i), z2 growing with i;
    box: ((z1_min, z1_max), (z2_min, z2_max)) of the grid's first and last points.
    """
    n, _, h, w = images.shape
    # row 0 of `images` is the lowest z2; imshow draws row 0 at the top, so flip it
    canvas = images[::-1].transpose(0, 2, 1, 3).reshape(n * h, n * w)
    (x0, x1), (y0, y1) = box
    # each cell is centred on its sample point: extend the image by half a cell on every side
    dx, dy = (x1 - x0) / (n - 1) / 2, (y1 - y0) / (n - 1) / 2
    ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, extent=(x0 - dx, x1 + dx, y0 - dy, y1 + dy),
              aspect="auto")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)


def read_history(path):
    """history.csv written by common.callbacks.HistoryCSV -> {column: [floats]}."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    # columns logged in only some epochs are "NA" in the others: leave them out
    return {key: [float(row[key]) for row in rows] for key in (rows[0] if rows else {})
            if all(row[key] not in ("NA", "") for row in rows)}


def loss_curves(history, path, title, keys=None, xlabel="epoch", ylabel="loss", logy=False):
    """Plot training curves from a {name: [values]} dict (Keras History.history or read_history).

    Training and validation curves of one quantity ('loss', 'val_loss') share a colour.
    """
    keys = keys or [k for k in history if k not in ("epoch", "learning_rate", "lr")
                    and not k.startswith("val_")]
    fig, ax = plt.subplots(figsize=(6, 4))
    for key in keys:
        values = history[key]
        label = f"train {key}" if f"val_{key}" in history else key
        (line,) = ax.plot(range(1, len(values) + 1), values, label=label)
        if f"val_{key}" in history:
            ax.plot(range(1, len(values) + 1), history[f"val_{key}"], "--", color=line.get_color(),
                    label=f"validation {key}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(fig, path)
