"""Figures of a 2-D latent space: aggregated posterior over prior contours, decoded latent grid."""
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from common.cli import UserError
from common.figures import draw_latent_grid, image_grid, save_figure


def require_2d(latent_dim):
    if latent_dim != 2:
        raise UserError(f"the latent-space figures need a 2-D latent, got --latent-dim {latent_dim}: "
                        "use --latent-dim 2 (or --no-plots to train without figures)")


def latent_bounds(z, prior_z, quantile=0.002, pad=0.1):
    """Square-ish (x0, x1, y0, y1) box holding all but the outermost 0.2 % of posterior and prior
    samples: the view that shows both the dots and the prior's mass."""
    points = np.concatenate([z, prior_z])
    low, high = np.quantile(points, quantile, axis=0), np.quantile(points, 1 - quantile, axis=0)
    margin = pad * (high - low)
    return (low[0] - margin[0], high[0] + margin[0], low[1] - margin[1], high[1] + margin[1])


MASSES = (0.99, 0.9, 0.7, 0.5, 0.3, 0.1)


def prior_density(prior, bounds, n=200):
    """(x grid, y grid, p(z) on the n x n grid) of a prior with log_prob."""
    xs, ys = np.linspace(bounds[0], bounds[1], n), np.linspace(bounds[2], bounds[3], n)
    gx, gy = np.meshgrid(xs, ys)
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)
    density = np.exp(ops.convert_to_numpy(prior.log_prob(ops.convert_to_tensor(grid))))
    return gx, gy, density.reshape(n, n)


def mass_levels(density, cell_area, masses=MASSES):
    """Density thresholds whose regions {p(z) > t} hold each of `masses` of the prior: a learned
    prior often has one sharp peak, and evenly spaced density levels would show only that."""
    ordered = np.sort(density.ravel())[::-1]
    cumulative = np.cumsum(ordered) * cell_area
    return [ordered[min(np.searchsorted(cumulative, m), len(ordered) - 1)] for m in masses]


def aggregated_posterior(panels, path, title="Aggregated posterior (black: one z ~ q(z|x) per test "
                                            "image) over the prior p(z)"):
    """panels: list of dicts (title, z: N x 2 samples, prior, bounds), one subplot each."""
    require_2d(panels[0]["z"].shape[1])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 5.2), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        gx, gy, density = prior_density(panel["prior"], panel["bounds"])
        cell_area = (gx[0, 1] - gx[0, 0]) * (gy[1, 0] - gy[0, 0])
        ax.scatter(panel["z"][:, 0], panel["z"][:, 1], s=1, c="black", alpha=0.4, linewidths=0)
        levels = mass_levels(density, cell_area)
        contours = ax.contour(gx, gy, density, levels=levels, linewidths=1.5,
                              colors=plt.cm.viridis(np.linspace(0.0, 0.8, len(levels))))
        ax.clabel(contours, fmt=dict(zip(levels, [f"{m:.0%}" for m in MASSES])), fontsize=8)
        ax.set_xlim(*panel["bounds"][:2])
        ax.set_ylim(*panel["bounds"][2:])
        ax.set_xlabel("z[0]")
        ax.set_ylabel("z[1]")
        ax.set_title(panel["title"], fontsize=10)
    fig.suptitle(title + "\ncontours: the smallest regions holding 10, 30, 50, 70, 90, 99 % of "
                 "the prior's mass", fontsize=11)
    fig.tight_layout()
    return save_figure(fig, path)


def decode_grid(decoder, bounds, n=20):
    """Digits decoded from an even n x n grid over bounds = (z0_min, z0_max, z1_min, z1_max):
    (n, n, 28, 28) with [i, j] at (z0_j, z1_i), and the grid's box for draw_latent_grid."""
    xs, ys = np.linspace(bounds[0], bounds[1], n), np.linspace(bounds[2], bounds[3], n)
    grid = np.array([[x, y] for y in ys for x in xs], dtype=np.float32)
    digits = ops.convert_to_numpy(ops.sigmoid(decoder(grid)))[..., 0]
    return digits.reshape(n, n, 28, 28), ((bounds[0], bounds[1]), (bounds[2], bounds[3]))


def latent_grids(panels, path, n=20, title="Digits decoded from an even grid of latent points"):
    """panels: list of dicts (title, decoder, bounds); each drawn with its z coordinates on the axes."""
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 6.3), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        images, box = decode_grid(panel["decoder"], panel["bounds"], n)
        draw_latent_grid(ax, images, box, panel["title"], xlabel="z[0]", ylabel="z[1]")
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return save_figure(fig, path)


def prior_samples(vaes, path, n=10):
    """One row per model: decoder means of n draws z ~ p(z), i.e. what the model generates."""
    rows = [ops.convert_to_numpy(ops.sigmoid(vae.decoder(vae.prior.sample(n))))[..., 0]
            for vae in vaes.values()]
    return image_grid(rows, path, "New digits: decoder means at z ~ p(z)",
                      row_labels=list(vaes))
