"""The figures of question 1: reconstructions, denoising, latent scatter, decoded latent grid."""
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from ae_mnist.data import IMAGE_SHAPE
from common.figures import draw_latent_grid, image_grid, save_figure


def reconstructions(originals, reconstructed, path, title):
    """Digits 0..9: original row above, reconstruction row below."""
    return image_grid([[x.reshape(IMAGE_SHAPE) for x in originals],
                       [x.reshape(IMAGE_SHAPE) for x in reconstructed]],
                      path, title, row_labels=["original", "reconstruction"],
                      col_labels=[str(d) for d in range(10)])


def denoising(originals, noisy, denoised, path, title):
    """Digits 0..9: original / noisy input / denoised rows (noisy shown clipped to [0, 1])."""
    return image_grid([[x.reshape(IMAGE_SHAPE) for x in row] for row in (originals, noisy, denoised)],
                      path, title, row_labels=["original", "noisy input", "denoised"],
                      col_labels=[str(d) for d in range(10)])


def draw_latent_scatter(ax, codes, labels, box, title):
    """Test-set codes coloured by digit, with the uniform sampling range as a red rectangle."""
    points = ax.scatter(codes[:, 0], codes[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5,
                        s=2, alpha=0.6, rasterized=True)
    (x0, x1), (y0, y1) = box
    ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="red", linewidth=1.5,
                           linestyle="--", label="uniform sampling range"))
    ax.set_xlabel("latent z1")
    ax.set_ylabel("latent z2")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    colorbar = ax.figure.colorbar(points, ax=ax, ticks=range(10))
    colorbar.set_label("digit")
    colorbar.solids.set_alpha(1)


def latent_scatter(codes, labels, box, path, title):
    fig, ax = plt.subplots(figsize=(7, 6))
    draw_latent_scatter(ax, codes, labels, box, title)
    return save_figure(fig, path)


def latent_grid(images, box, path, title):
    fig, ax = plt.subplots(figsize=(8, 8))
    draw_latent_grid(ax, images, box, title)
    return save_figure(fig, path)


def side_by_side(panels, path, title):
    """panels: {column title: (codes, labels, box, grid images)}; scatter row above grid row."""
    fig, axes = plt.subplots(2, len(panels), figsize=(7 * len(panels), 13), squeeze=False)
    for j, (name, (codes, labels, box, images)) in enumerate(panels.items()):
        draw_latent_scatter(axes[0, j], codes, labels, box, f"{name}: test-set latent codes")
        draw_latent_grid(axes[1, j], images, box, f"{name}: decoded {len(images)}x{len(images)} grid")
    # the same scatter limits in every column, so that the spread of the codes can be compared
    xlims = [ax.get_xlim() for ax in axes[0]]
    ylims = [ax.get_ylim() for ax in axes[0]]
    for ax in axes[0]:
        ax.set_xlim(min(lo for lo, _ in xlims), max(hi for _, hi in xlims))
        ax.set_ylim(min(lo for lo, _ in ylims), max(hi for _, hi in ylims))
    fig.suptitle(title, fontsize=14)
    fig.tight_layout()
    return save_figure(fig, path)
