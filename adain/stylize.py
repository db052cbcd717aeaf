"""Stylise photos with a trained AdaIN decoder (assignment 3 Q2 parts 3 and 4, and beyond).

    python -m adain.stylize --content me.jpg campus/ --style woman_with_hat_matisse.jpg \
        --alpha 0.3,0.6,0.9 --decoder runs/adain/full/decoder_final.weights.h5

Every content x style (or the mix of all styles with --interp-weights) x alpha is written as
`<content>_<style>_alpha<a>.<ext>` in --out, plus one figure content | style | outputs.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from common.cli import (HelpFormatter, UserError, add_precision_argument, existing_file, float_list,
                        non_negative, run_cli)
from common.images import center_crop, list_images, load_image, resize_short_side, save_image
from common.runs import record_settings

MIN_SIDE = 16  # VGG pools 3 times and the decoder reflect-pads 1 px: below this there is nothing left
# content images of one size stylised in one forward pass: up to a megapixel of them (measured on
# a 2-core CPU at 512x512, s per image: batch 1 2.99, 4 2.80, 8 3.15: bigger batches leave the cache)
BATCH = 8
BATCH_PIXELS = 2 ** 20
FIGURE_ROWS = 8  # the figure shows the first contents; every output is a file


def load_input(path, size=512, crop=False):
    """An image as float32 RGB [0, 1], its short side resized to `size` (0 keeps it as it is),
    with `crop` centre-cropped to a square (pytorch-AdaIN's --crop)."""
    image = load_image(path, max_side=4 * size if size else None)
    if size:
        image = resize_short_side(image, size)
    if crop:
        image = center_crop(image, min(image.shape[:2]))
    if min(image.shape[:2]) < MIN_SIDE:
        raise UserError(f"image {path} is {image.shape[1]}x{image.shape[0]} pixels; at least "
                        f"{MIN_SIDE} px per side are needed (or use --content-size/--style-size)")
    return image


def expand(paths):
    """Files and folders (searched recursively) -> list of image files."""
    files = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += list_images(path)
        elif path.is_file():
            files.append(path)
        else:
            raise UserError(f"{path} does not exist")
    return files


def output_names(paths):
    """{path: name for output files}: the file's stem, or, where two files share one (me.jpg in
    two folders), its folder's name and stem, then a counter, so that no output overwrites another."""
    names = {p: Path(p).stem for p in paths}
    for attempt in (lambda p: f"{Path(p).parent.name}_{Path(p).stem}", None):
        seen = {}
        for p, name in names.items():
            seen.setdefault(name, []).append(p)
        for clashing in (group for group in seen.values() if len(group) > 1):
            for i, p in enumerate(clashing, 1):
                names[p] = attempt(p) if attempt else f"{names[p]}_{i}"
    return names


def preserve_color(style, content):
    """Recolour `style` so its RGB mean and covariance match the content's (reference's coral())."""
    def stats(image):
        flat = image.reshape(-1, 3).astype(np.float64)
        mean = flat.mean(0)
        cov = np.cov(flat - mean, rowvar=False) + 1e-5 * np.eye(3)
        return flat, mean, cov

    def sqrtm(cov, inverse=False):
        values, vectors = np.linalg.eigh(cov)
        values = np.maximum(values, 1e-8) ** (-0.5 if inverse else 0.5)
        return (vectors * values) @ vectors.T

    flat, s_mean, s_cov = stats(style)
    _, c_mean, c_cov = stats(content)
    whitened = (flat - s_mean) @ sqrtm(s_cov, inverse=True)
    recoloured = whitened @ sqrtm(c_cov) + c_mean
    return np.clip(recoloured.reshape(style.shape), 0, 1).astype(np.float32)


def _forward(model):
    """The model's encoder and its decoder of mixed features as common.gradients inference
    functions, made once per model (a graph on TensorFlow, traced per image size)."""
    forward = model.__dict__.get("_stylize_forward")
    if forward is None:
        from common.gradients import inference_function
        forward = (inference_function(lambda images: model.encode(images)[-1]),
                   inference_function(lambda content_feat, style_feats, alpha, regions, weights:
                                      model.decoder(model.mix_features(content_feat, style_feats,
                                                                       alpha, weights, regions))))
        # a plain attribute, past Keras's tracking: the functions are not part of the model
        object.__setattr__(model, "_stylize_forward", forward)
    return forward


def encode_styles(model, styles):
    """Style images (H, W, 3) -> their relu4_1 features, encoded once for every content and alpha
    (a folder or a video encodes its style once, not once per image)."""
    encode, _ = _forward(model)
    return [encode(style[None]) for style in styles]


def stylize_batch(model, contents, style_feats, alphas=(1.0,), interp_weights=None, mask=None):
    """Content images of one size (N, H, W, 3) x encoded styles (encode_styles) -> one stylised
    (N, H, W, 3) float32 RGB [0, 1] array per alpha; the contents are encoded once for all alphas.
    `mask` (H, W) in [0, 1] gives the first of two styles to its white part, the second to its
    black part."""
    from keras.ops import convert_to_numpy

    encode, decode = _forward(model)
    regions = None if mask is None else mask[None, :, :, None].astype(np.float32)
    weights = None if interp_weights is None else tuple(interp_weights)
    content_feat = encode(contents)
    return [np.clip(convert_to_numpy(decode(content_feat, style_feats, np.float32(alpha), regions,
                                            weights)).astype(np.float32), 0, 1)
            for alpha in alphas]


def stylize(model, content, styles, alpha=1.0, interp_weights=None, mask=None):
    """One content image (H, W, 3) x style images -> its stylised image."""
    return stylize_batch(model, content[None], encode_styles(model, styles), [alpha], interp_weights,
                         mask)[0][0]


def same_size_batches(items, size=None):
    """[(path, image)] -> lists of items whose images have one shape: `size` items at most, or by
    default as many as fit in BATCH_PIXELS (at least 1, at most BATCH)."""
    by_shape = {}
    for item in items:
        by_shape.setdefault(item[1].shape, []).append(item)
    for shape, group in by_shape.items():
        n = size or max(1, min(BATCH, BATCH_PIXELS // (shape[0] * shape[1])))
        for start in range(0, len(group), n):
            yield group[start:start + n]


def load_mask(path, shape):
    """Any image as a mask for a content of `shape` (H, W): grey level resized to the content's
    size, then white (> 0.5) = the first style, black = the second."""
    from PIL import Image

    grey = Image.fromarray((load_image(path).mean(axis=2) * 255).astype(np.uint8))
    grey = grey.resize((shape[1], shape[0]), Image.Resampling.BILINEAR)
    return (np.asarray(grey, np.float32) / 255.0 > 0.5).astype(np.float32)


def alphas_for(args):
    """--alpha list, or the course's student-ID rule: last digit even 0.3,0.6,0.9; odd 0.2,0.5,0.8."""
    if args.student_id is not None:
        digit = args.student_id.strip()[-1:]
        if not digit.isdigit():
            raise UserError(f"--student-id {args.student_id!r} must end in a digit")
        return [0.3, 0.6, 0.9] if int(digit) % 2 == 0 else [0.2, 0.5, 0.8]
    for alpha in args.alpha:
        if not 0.0 <= alpha <= 1.0:
            raise UserError(f"alpha {alpha} is outside [0, 1] (0 = content only, 1 = full style)")
    return args.alpha


def default_decoder():
    from adain.model import newest_decoder

    decoder = newest_decoder()
    if decoder is None:
        raise UserError("no trained decoder found under runs/adain/: pass --decoder FILE "
                        "(train one with python -m adain.train)")
    return decoder


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m adain.stylize", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--content", nargs="+", required=True, metavar="PATH",
                   help="content images or folders of them")
    p.add_argument("--style", action="extend", nargs="+", required=True, metavar="PATH",
                   help="style images or folders (each is used on its own, or all are mixed with "
                        "--interp-weights)")
    p.add_argument("--interp-weights", type=float_list, default=None, metavar="W1,W2,...",
                   help="mix the given --style images with these weights (style interpolation)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--alpha", type=float_list, default=[1.0], metavar="A1,A2,...",
                       help="content-style trade-off(s) in [0, 1]: g(alpha*t + (1-alpha)*f(c))")
    group.add_argument("--student-id", default=None,
                       help="pick alphas by the last digit: even 0.3,0.6,0.9; odd 0.2,0.5,0.8")
    p.add_argument("--mask", default=None, metavar="IMAGE",
                   help="spatial control: with two --style images, the first styles the mask's "
                        "white part and the second its black part (any image; grey > 50%% is white; "
                        "resized to each content)")
    p.add_argument("--preserve-color", action="store_true",
                   help="keep the content's colours (style recoloured to the content's RGB statistics)")
    p.add_argument("--content-size", type=non_negative(int), default=512,
                   help="resize the content's short side to this (0 = keep the original size)")
    p.add_argument("--style-size", type=non_negative(int), default=512,
                   help="resize the style's short side to this (0 = keep)")
    p.add_argument("--crop", action="store_true",
                   help="centre-crop content and style to squares after resizing")
    p.add_argument("--ext", choices=["jpg", "png"], default="jpg", help="format of the outputs")
    p.add_argument("--decoder", default=None,
                   help="decoder weights (default: the newest runs/adain/**/decoder_final.weights.h5)")
    add_precision_argument(p)
    p.add_argument("--vgg-weights", default=None, help="VGG19 notop .h5 (default: resolved as in README)")
    p.add_argument("--out", default="runs/adain/stylized", help="output folder")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.alpha = alphas = alphas_for(args)  # recorded as used (--student-id picks them)
    record_settings("adain.stylize", args)
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} is a file; give a folder for the stylised images")
    contents, styles = expand(args.content), expand(args.style)
    content_names, style_names = output_names(contents), output_names(styles)
    if args.interp_weights is not None:
        if len(args.interp_weights) != len(styles) or len(styles) < 2:
            raise UserError(f"--interp-weights has {len(args.interp_weights)} weights for "
                            f"{len(styles)} style images (give one per style, at least two)")
        if min(args.interp_weights) < 0 or sum(args.interp_weights) <= 0:
            raise UserError("--interp-weights must be non-negative and not all zero")
    if args.mask and (len(styles) != 2 or args.interp_weights):
        raise UserError(f"--mask needs exactly two style images and no --interp-weights "
                        f"({len(styles)} given)")
    mask_file = existing_file(args.mask, "--mask") if args.mask else None
    decoder_path = args.decoder or default_decoder()
    print(f"decoder: {decoder_path}")

    from adain.figures import stylize_figure
    from adain.model import AdaINModel, load_decoder
    from common.precision import choose_precision

    choose_precision(args.precision)
    model = AdaINModel(decoder=load_decoder(decoder_path), vgg_weights=args.vgg_weights)
    style_images = [(p, load_input(p, args.style_size, args.crop)) for p in styles]
    # one style "group" per output column: all styles mixed, or each style on its own
    groups = ([style_images] if args.interp_weights or mask_file else [[s] for s in style_images])
    group_feats = [None if args.preserve_color else encode_styles(model, [s for _, s in group])
                   for group in groups]
    # styles recoloured per content, or a mask resized per content: one content per pass
    per_content = args.preserve_color or mask_file
    rows, n_bad, n_done = [], 0, 0
    for start in range(0, len(contents), 4 * BATCH):  # read a few batches' worth at a time
        loaded = []
        for content_path in contents[start:start + 4 * BATCH]:
            try:
                loaded.append((content_path, load_input(content_path, args.content_size, args.crop)))
            except UserError as err:
                if len(contents) == 1:
                    raise  # the one image asked for: its reason is the error
                print(f"warning: skipped {err}", file=sys.stderr)
                n_bad += 1
        for batch in same_size_batches(loaded, 1 if per_content else None):
            images = np.stack([content for _, content in batch])
            mask = load_mask(mask_file, images.shape[1:3]) if mask_file else None
            for group, feats in zip(groups, group_feats):
                group_styles = [preserve_color(s, images[0]) if args.preserve_color else s
                                for _, s in group]
                if args.preserve_color:  # the styles took this content's colours
                    feats = encode_styles(model, group_styles)
                tag = "+".join(style_names[p] for p, _ in group) + ("_mask" if mask_file else "")
                outputs = stylize_batch(model, images, feats, alphas, args.interp_weights, mask)
                for i, (content_path, content) in enumerate(batch):
                    for alpha, output in zip(alphas, outputs):
                        save_image(out_dir / f"{content_names[content_path]}_{tag}_alpha{alpha:g}."
                                   f"{args.ext}", output[i])
                    if len(rows) < FIGURE_ROWS * len(groups):
                        rows.append((content, group_styles,
                                     [(f"alpha = {a:g}", out[i]) for a, out in zip(alphas, outputs)],
                                     *([] if mask is None else [mask])))
            n_done += len(batch)
        print(f"stylised {n_done} of {len(contents)} content image(s) into {out_dir}")
    if not n_done:
        raise UserError("no content image could be read")
    if n_bad:
        print(f"warning: skipped {n_bad} unreadable content file(s)", file=sys.stderr)
    mix = (f", styles mixed {':'.join(f'{w:g}' for w in args.interp_weights)}"
           if args.interp_weights else "")
    mix += ", spatial control: style 1 on the mask's white part" if mask_file else ""
    mix += f"; the first {FIGURE_ROWS} of {n_done} contents" if n_done > FIGURE_ROWS else ""
    title = (f"AdaIN stylisation (decoder {decoder_path}{mix}"
             f"{', colour preserved' if args.preserve_color else ''})")
    figure = stylize_figure(rows, out_dir / "stylized.png", title)
    print(f"figure: {figure}")
    return figure


if __name__ == "__main__":
    run_cli(main)
