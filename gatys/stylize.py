"""Optimisation-based style transfer (Gatys et al.): optimise the image itself.

    python -m gatys.stylize --content cornell.jpg --style woman_with_hat_matisse.jpg

minimises  w_c * 1/2 sum (F - P)^2  +  sum_l w_l E_l  +  w_t * TV(x)  over the pixels x (kept
in [0, 1]), where F, P are the content layer's features of x and of the content photo, and
E_l = sum (G_l - A_l)^2 / (4 N_l^2 M_l^2) compares the Gram matrices of x and of the style
painting at each style layer (the paper's eqs. 1, 4, 5, on the normalised VGG19), and
w_l = beta / L (or beta times --style-weights). The content loss sums over positions and E_l
does not, so beta is given for a 256 x 256 image and scaled by the photo's pixel count: a photo
looks alike at any size. Writes the result, a figure content | style | result, the loss curves,
history.csv and metrics.json to the run folder.
"""
import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

from common.cli import (HelpFormatter, UserError, add_run_arguments, add_seed_argument,
                        at_least, existing_file, non_negative, non_negative_list, positive, run_cli,
                        set_seed)
from common.images import load_image, resize_short_side, save_image
from common.runs import atomic_write, finish_run, open_run, record_settings, write_metrics

DEFAULT_STYLE_LAYERS = "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"
MIN_SIDE = 16
BETA_PIXELS = 256 * 256  # --style-weight is beta for an image of this many pixels


def load_pair(content_path, style_path, size):
    """Content with its longer side at most `size`; style with the content's shorter side."""
    for path in (content_path, style_path):
        existing_file(path, "image")
    content = load_image(content_path, max_side=size)
    if min(content.shape[:2]) < MIN_SIDE:
        raise UserError(f"{content_path} is {content.shape[1]}x{content.shape[0]} pixels here; the "
                        f"VGG19 halves it four times, so at least {MIN_SIDE} px per side are needed")
    style = resize_short_side(load_image(style_path, max_side=4 * size), min(content.shape[:2]))
    return content, style


class StyleTransfer:
    """The loss of one content/style pair as a function of the image, with its gradient."""

    def __init__(self, content, style, content_layer="relu4_2", style_layers=DEFAULT_STYLE_LAYERS,
                 style_weights=None, content_weight=1.0, style_weight=1.0, tv_weight=1.0,
                 pretrained=True):
        from keras import ops

        from common.gradients import gradient_function
        from common.vgg import channel_scales, layer_name, vgg19_features
        from gatys.losses import content_loss, gram_matrix, style_loss, tv_loss

        try:
            self.style_layers = [layer_name(n) for n in style_layers.split(",")]
            self.content_layer = layer_name(content_layer)
        except ValueError as err:
            raise UserError(str(err)) from err
        # w_l: the paper's 1/5 each (1/L for L layers) unless given; beta = style_weight on all
        weights = style_weights or [1.0 / len(self.style_layers)] * len(self.style_layers)
        if len(weights) != len(self.style_layers):
            raise UserError(f"--style-weights has {len(weights)} values for "
                            f"{len(self.style_layers)} style layers")
        if min(weights + [content_weight, style_weight, tv_weight]) < 0:
            raise UserError("loss weights must be non-negative")
        # eq. 1 grows with the pixel count, eqs. 4-5 do not: without this a 512-px photo would
        # get a quarter of the style a 256-px one gets from the same beta
        self.beta = style_weight * content.shape[0] * content.shape[1] / BETA_PIXELS
        weights = [self.beta * w for w in weights]
        layers = self.style_layers + [self.content_layer]
        extractor = vgg19_features(layers, pretrained=pretrained, name="vgg19_features")
        # the channel means are the pretrained weights' (random test weights keep their own scale)
        scales = ([ops.convert_to_tensor(k) for k in channel_scales(layers)] if pretrained
                  else [1.0] * len(layers))

        def normalised_features(image):  # the paper's normalised VGG19 (common.vgg)
            return [f * scale for f, scale in zip(extractor(image), scales)]

        *_, content_target = normalised_features(content[None])
        style_targets = [gram_matrix(f) for f in normalised_features(style[None])[:-1]]

        def losses(image):
            *style_features, content_features = normalised_features(image)
            parts = {"content": content_loss(content_weight, content_features, content_target),
                     "style": style_loss(style_features, style_targets, weights),
                     "tv": tv_loss(tv_weight, image)}
            return parts["content"] + parts["style"] + parts["tv"], parts
        self.losses_and_gradient = gradient_function(losses)

    def __call__(self, image):
        """(total, {part: value}, gradient) for a (1, H, W, 3) float32 image."""
        from keras.ops import convert_to_numpy
        total, parts, grad = self.losses_and_gradient(image)
        return (float(convert_to_numpy(total)), {k: float(convert_to_numpy(v)) for k, v in parts.items()},
                convert_to_numpy(grad))


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during `optimise`, carrying the image of the last evaluation and the history."""

    def __init__(self, image, history):
        super().__init__()
        self.image, self.history = image, history


def optimise(transfer, init, steps, optimizer="lbfgs", learning_rate=0.02, on_step=None):
    """Minimise the transfer loss from `init` (H, W, 3); return (image, history of loss dicts).

    L-BFGS-B (SciPy) keeps pixels in [0, 1] by bounds; Adam clips after each step. One step is
    one loss-and-gradient evaluation for both, so their costs compare directly. Ctrl-C raises
    Interrupted with the image so far.
    """
    shape = (1,) + init.shape
    history = []
    latest = [init]

    def evaluate(flat):
        latest[0] = flat
        total, parts, grad = transfer(flat.reshape(shape).astype(np.float32))
        history.append({"total": total, **parts})
        if on_step:
            on_step(len(history), history[-1])
        return total, grad.ravel().astype(np.float64)

    try:
        if optimizer == "lbfgs":
            from scipy.optimize import minimize
            result = minimize(evaluate, init.ravel().astype(np.float64), jac=True, method="L-BFGS-B",
                              bounds=[(0.0, 1.0)] * init.size,
                              options={"maxfun": steps, "maxiter": steps, "maxcor": 20})
            image = result.x
        else:
            import keras
            from keras import ops

            from common.gradients import no_gradients
            variable = keras.Variable(init[None].astype(np.float32))
            adam = keras.optimizers.Adam(learning_rate)
            for _ in range(steps):
                _, grad = evaluate(ops.convert_to_numpy(variable))
                with no_gradients():
                    adam.apply([ops.convert_to_tensor(grad.reshape(shape), "float32")], [variable])
                    variable.assign(ops.clip(variable, 0.0, 1.0))
            image = ops.convert_to_numpy(variable)
    except KeyboardInterrupt:
        image = np.asarray(latest[0])
        raise Interrupted(np.clip(image.reshape(init.shape), 0, 1).astype(np.float32), history) from None
    return np.clip(image.reshape(init.shape), 0, 1).astype(np.float32), history


def stylize(content_path, style_path, out_dir, size=512, steps=300, init="content",
            optimizer="lbfgs", content_layer="relu4_2", style_layers=DEFAULT_STYLE_LAYERS,
            style_weights=None, content_weight=1.0, style_weight=1e7, tv_weight=0.0,
            learning_rate=0.02, seed=0, pretrained=True, verbose=True):
    """Run one style transfer and write its files to `out_dir`; return the metrics dict."""
    import keras

    from gatys.figures import loss_figure, result_figure

    set_seed(seed)
    content, style = load_pair(content_path, style_path, size)
    transfer = StyleTransfer(content, style, content_layer, style_layers, style_weights,
                             content_weight, style_weight, tv_weight, pretrained)
    start = np.random.default_rng(seed).uniform(0, 1, content.shape).astype(np.float32)
    if init == "content":
        start = content
    progress = keras.utils.Progbar(steps, stateful_metrics=["total", "content", "style", "tv"],
                                   verbose=1 if verbose else 0)
    began = time.perf_counter()
    out_dir = Path(out_dir)
    try:
        image, history = optimise(transfer, start, steps, optimizer, learning_rate,
                                  on_step=lambda i, h: progress.update(min(i, steps), list(h.items())))
    except Interrupted as stop:  # keep what the minutes so far made
        path = save_image(out_dir / "result_interrupted.png", stop.image)
        print(f"\nstopped after {len(stop.history)} of {steps} steps; the image so far: {path}",
              file=sys.stderr)
        raise
    seconds = time.perf_counter() - began
    save_image(out_dir / "result.png", image)
    pair = f"{Path(content_path).stem} x {Path(style_path).stem}"
    result_figure(content, style, image, out_dir / "figure.png",
                  f"Gatys style transfer: {pair} ({optimizer}, {len(history)} steps, init {init}, "
                  f"beta {transfer.beta:.2g})")
    loss_figure(history, out_dir / "loss.png", f"Loss during optimisation: {pair}")
    write_history(out_dir / "history.csv", history)
    metrics = {"content": str(content_path), "style": str(style_path), "size": list(image.shape[:2]),
               "optimizer": optimizer, "init": init, "steps": len(history), "beta": transfer.beta,
               "seconds_per_step": seconds / max(len(history), 1),
               "initial_loss": history[0], "final_loss": history[-1]}
    write_metrics(out_dir / "metrics.json", metrics, merge=False)
    return metrics


def write_history(path, history):
    """One row per loss-and-gradient evaluation: step, total, content, style, tv."""
    with atomic_write(path) as temporary, open(temporary, "w", newline="") as f:
        writer = csv.DictWriter(f, ["step", "total", "content", "style", "tv"])
        writer.writeheader()
        writer.writerows({"step": i, **h} for i, h in enumerate(history, 1))


def add_loss_flags(p, init=True):
    p.add_argument("--size", type=at_least(MIN_SIDE), default=512,
                   help="longer side of the result in pixels, at most (a smaller photo keeps its size)")
    p.add_argument("--steps", type=positive(int), default=300,
                   help="loss-and-gradient evaluations")
    p.add_argument("--optimizer", choices=["lbfgs", "adam"], default="lbfgs",
                   help="L-BFGS-B through SciPy (the classic choice) or Adam")
    p.add_argument("--learning-rate", type=positive(float), default=0.02, help="Adam's step size")
    if init:
        p.add_argument("--init", choices=["content", "noise"], default="content",
                       help="start from the content photo or from uniform noise")
    p.add_argument("--content-layer", default="relu4_2",
                   help="VGG19 layer of the content loss (reluB_C or blockB_convC)")
    p.add_argument("--style-layers", default=DEFAULT_STYLE_LAYERS,
                   help="comma-separated style layers")
    p.add_argument("--style-weights", type=non_negative_list, default=None, metavar="W1,W2,...",
                   help="per-layer style weights w_l (default 1/L each, the paper's 1/5), "
                        "multiplied by --style-weight")
    p.add_argument("--content-weight", type=non_negative(float), default=1.0,
                   help="w_c of the content loss")
    p.add_argument("--style-weight", type=non_negative(float), default=1e7,
                   help="beta, the factor on the style weights, for a 256 x 256 image and scaled "
                        "by the photo's pixel count (the content loss grows with it, the style "
                        "loss does not), so that a photo is stylised alike at any --size "
                        "(default chosen by looking at 256-px results from the photo)")
    p.add_argument("--tv-weight", type=non_negative(float), default=0.0,
                   help="w_t of the total-variation loss (the paper has none; a positive weight "
                        "smooths the result)")
    add_seed_argument(p, "the noise start (--init noise)")


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m gatys.stylize", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--content", required=True, help="content photo")
    p.add_argument("--style", required=True, help="style painting")
    add_loss_flags(p)
    add_run_arguments(p, "gatys", resume=False)
    args = p.parse_args(argv)
    settings = record_settings("gatys.stylize", args)
    run_dir, _, _ = open_run("gatys", args.run_name, settings, overwrite=args.overwrite)
    metrics = stylize(args.content, args.style, run_dir, **loss_options(args))
    finish_run(run_dir)
    print(f"final loss {metrics['final_loss']['total']:.4g} after {metrics['steps']} steps "
          f"({metrics['seconds_per_step']:.2f} s/step); result in {run_dir}")
    return metrics


def loss_options(args):
    return {k: getattr(args, k) for k in (
        "size", "steps", "init", "optimizer", "content_layer", "style_layers", "style_weights",
        "content_weight", "style_weight", "tv_weight", "learning_rate", "seed") if hasattr(args, k)}


if __name__ == "__main__":
    run_cli(main)
