"""Figures of question 2: reconstructions with latent codes, decoded samples, noisy codes, models."""
import matplotlib.pyplot as plt
import numpy as np

from common.figures import image_grid, save_figure


def latent_mosaic(code, gap=1):
    """An 8x8x16 code as one grayscale image: its 16 channel maps tiled 4x4, scaled to [0, 1]."""
    h, w, channels = code.shape
    side = int(np.ceil(np.sqrt(channels)))
    low, high = code.min(), code.max()
    scaled = (code - low) / (high - low + 1e-12)
    mosaic = np.ones((side * (h + gap) - gap, side * (w + gap) - gap), dtype=np.float32)
    for c in range(channels):
        row, col = divmod(c, side)
        mosaic[row * (h + gap):row * (h + gap) + h, col * (w + gap):col * (w + gap) + w] = scaled[..., c]
    return mosaic


def reconstructions(originals, reconstructed, codes, psnrs, path, title):
    """Question 2 (2): per image (column) the original, its reconstruction and its latent code."""
    rows = [list(originals), list(reconstructed), [latent_mosaic(c) for c in codes]]
    labels = [[f"image {i + 1}" for i in range(len(originals))],
              [f"PSNR {p:.1f} dB" for p in psnrs], ["" for _ in codes]]
    return image_grid(rows, path, title, row_labels=["original", "reconstruction",
                                                     "latent c\n(16 channels,\n4x4 tiles)"],
                      col_labels=labels)


def latent_channels(originals, codes, path, title):
    """Question 2 (2), in detail: each image's 16 latent channel maps on one shared colour scale."""
    n, channels = len(codes), codes.shape[-1]
    limit = float(np.abs(codes).max())
    fig, axes = plt.subplots(n, channels + 1, figsize=(0.75 * (channels + 1) + 1.2, 0.8 * n + 0.8),
                             squeeze=False)
    for i in range(n):
        axes[i, 0].imshow(np.clip(originals[i], 0, 1))
        axes[i, 0].set_ylabel(f"image {i + 1}", rotation=0, ha="right", va="center", fontsize=8)
        for c in range(channels):
            shown = axes[i, c + 1].imshow(codes[i, ..., c], cmap="RdBu_r", vmin=-limit, vmax=limit)
            if i == 0:
                axes[i, c + 1].set_title(f"ch {c}", fontsize=8)
        axes[0, 0].set_title("original", fontsize=8)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(shown, ax=axes, shrink=0.6, label="latent value")
    fig.suptitle(title, fontsize=11)
    return save_figure(fig, path)


def sample_grid(images, path, title, columns=3):
    """Decoded latent samples (question 2 (3)) as a small grid."""
    rows = [list(images[i:i + columns]) for i in range(0, len(images), columns)]
    labels = [[f"sample {i + j + 1}" for j in range(len(r))] for i, r in zip(range(0, len(images), columns), rows)]
    return image_grid(rows, path, title, col_labels=labels, cell=1.6)


def noisy_codes(originals, decoded_by_scale, path, title):
    """Question 2 (4): rows = noise level (0 = the plain reconstruction), columns = the 9 images."""
    rows = [list(originals)] + [list(images) for images in decoded_by_scale.values()]
    labels = ["original"] + list(decoded_by_scale)
    return image_grid(rows, path, title, row_labels=labels,
                      col_labels=[f"image {i + 1}" for i in range(len(originals))])


def models_rows(images_by_model, path, title, col_label="sample"):
    """Question 2 (5): one row per model (e.g. its decoded latent samples)."""
    rows = [list(images) for images in images_by_model.values()]
    return image_grid(rows, path, title, row_labels=list(images_by_model),
                      col_labels=[f"{col_label} {i + 1}" for i in range(len(rows[0]))])
