"""Figures: generated images per training stage, and the FID comparison."""
import matplotlib.pyplot as plt

from common.figures import image_grid, save_figure


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


def fid_by_epoch_figure(by_epoch, floor, ceiling, path, title):
    """by_epoch: {epoch: FID}; a line over the epochs, between the real-photo floor and the
    noise ceiling (dashed)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    epochs = sorted(by_epoch)
    ax.plot(epochs, [by_epoch[e] for e in epochs], "o-", color="tab:green", label="generated")
    for epoch in epochs:
        ax.annotate(f"{by_epoch[epoch]:.1f}", (epoch, by_epoch[epoch]), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8)
    ax.axhline(floor, ls="--", color="tab:blue", label=f"real photos (floor) {floor:.1f}")
    ax.axhline(ceiling, ls="--", color="tab:gray", label=f"noise (ceiling) {ceiling:.1f}")
    ax.set_xticks(epochs)
    ax.set_xlabel("epoch")
    ax.set_ylabel("FID (lower is better)")
    ax.set_ylim(0, ceiling * 1.12)
    ax.set_title(title, fontsize=10)
    ax.margins(x=0.08)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, frameon=False)
    fig.tight_layout()
    return save_figure(fig, path)
