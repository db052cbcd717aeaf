"""Figures of the gatys package."""
from common.figures import image_grid, loss_curves


def result_figure(content, style, result, path, title):
    return image_grid([[content, style, result]], path, title, cell=3.2,
                      col_labels=["content", "style", "result"])


def loss_figure(history, path, title):
    """Total, content, style and TV loss per step (log scale: they span decades)."""
    curves = {key: [h[key] for h in history] for key in ("total", "content", "style", "tv")}
    return loss_curves(curves, path, title, xlabel="step (loss-and-gradient evaluation)",
                       ylabel="weighted loss", logy=True)


def init_figures(content, style, from_content, from_noise, totals, run_dir, title):
    """The same pair optimised from the photo and from noise: images, and total loss per step."""
    image_grid([[content, style, from_content, from_noise]], run_dir / "init_content_vs_noise.png",
               title, cell=3.0, col_labels=["content", "style", "init: content", "init: noise"])
    loss_curves(totals, run_dir / "init_loss.png", f"Total loss by initialisation\n{title}",
                xlabel="step (loss-and-gradient evaluation)", ylabel="total loss", logy=True)
