"""Figures: generated images per training stage, and the FID comparison."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from common.figures import image_grid, save_figure  # noqa: E402


def stages_figure(snapshots, path, title="Generated dogs from one fixed latent batch, by epoch"):
    """snapshots: {epoch: images in [0, 1]}; one row per epoch, the same z in every column."""
    epochs = sorted(snapshots)
    n = len(snapshots[epochs[0]])
    return image_grid([snapshots[e] for e in epochs], path, title,
                      row_labels=[f"epoch {e}" for e in epochs],
                      col_labels=[f"z{i + 1}" for i in range(n)])


def fid_bars(values, path, title):
    """values: {label: FID}; a bar chart with the numbers written on the bars."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    labels = list(values)
    bars = ax.bar(labels, [values[k] for k in labels], color=["tab:green", "tab:blue", "tab:gray"])
    ax.bar_label(bars, fmt="%.1f")
    ax.set_ylabel("FID (lower is better)")
    ax.set_title(title, fontsize=10)
    ax.margins(y=0.15)
    fig.tight_layout()
    return save_figure(fig, path)
