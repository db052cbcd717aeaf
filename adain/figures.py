"""The AdaIN figures: training stages of one probe pair, stylised outputs, and loss curves."""
import numpy as np

from common.figures import image_grid, loss_curves


def stage_figure(content, style, stages, path, total_steps, settings, note=""):
    """content, style, then the probe stylised at each checkpoint, labelled 'step N (P%)' (part 2),
    in two rows: one row of six left each image 2.5 cm wide on a report's page."""
    images = [content, style] + [image for _, image in stages]
    labels = ["content", "style"] + [f"step {step} ({100 * step / total_steps:.0f}%)"
                                     for step, _ in stages]
    half = -(-len(images) // 2)
    title = (f"AdaIN during training: the probe pair at each checkpoint of {total_steps} steps{note}"
             f"\n{settings}")
    return image_grid([images[:half], images[half:]], path, title,
                      col_labels=[labels[:half], labels[half:]], cell=2.6)


def stylize_figure(rows, path, title, cell=2.4):
    """rows: list of (content, [styles], [(label, output)]) or (..., mask); one figure row per
    content image: content | mask | styles | outputs."""
    images, labels = [], []
    for content, styles, outputs, *mask in rows:
        # a grey frame: without it the mask's white part vanishes into the white page
        mask = [np.pad(np.repeat(m[..., None], 3, axis=2), ((3, 3), (3, 3), (0, 0)),
                       constant_values=0.5) for m in mask]
        images.append([content, *mask, *styles, *[out for _, out in outputs]])
        labels.append(["content"] + ["mask (white: style 1)"] * len(mask)
                      + [f"style {i + 1}" if len(styles) > 1 else "style" for i in range(len(styles))]
                      + [label for label, _ in outputs])
    return image_grid(images, path, title, col_labels=labels, cell=cell)


def training_curves(history, path, steps_per_epoch, settings, note=""):
    return loss_curves(history, path, f"AdaIN training losses{note}\n{settings}",
                       keys=["loss", "content_loss", "style_loss"],
                       xlabel=f"epoch ({steps_per_epoch} steps each)", logy=True)
