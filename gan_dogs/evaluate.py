"""FID of a trained generator on dog photos (assignment 5, question 2 (2)-(3)).

    python -m gan_dogs.evaluate --run-name full

Generates --n-images (300) dogs with runs/gan_dogs/<run-name>/generator.keras and computes three
FIDs against the same reference set, the training photos (or --n-reference of them):
  generated  300 generated images              (the assignment's number)
  floor      300 real held-out photos          (what a perfect generator would score at this size)
  ceiling    300 images of uniform random noise
and, unless --no-by-epoch, the FID of 300 images from each snapshot checkpoint of the run
(generator_epoch_NNN.keras, the same z for every epoch): how the generator improved.
On the same Inception features, also the Kernel Inception Distance of each set (KID, Bińkowski
et al. 2018: unbiased at 300 images, where the FID is not) and improved precision and recall
(Kynkäänniemi et al. 2019, k = 3) of the generated and the held-out photos: precision = the share
that falls inside the real photos' feature manifold, recall = the share of real photos covered.
All images are at the generator's resolution, resized to 299x299 for the Inception network.
Writes metrics.json (merged), scores.md (FID, KID, precision and recall of the three sets),
fid.png, fid_by_epoch.png, fid_samples.png and fid_images/ (the scored generated images, one PNG
each) into the run folder; prints the numbers.
FIDs from fewer images than the 2048 feature dimensions are biased upwards (a warning says so):
compare numbers only at equal set sizes and the same network (named in metrics.json).
"""
import argparse
import hashlib
import time
from pathlib import Path

import keras
import numpy as np
from keras import ops

from common.cli import (HelpFormatter, UserError, add_data_dir_argument, add_seed_argument, at_least,
                        finite, positive, run_cli, run_name, set_seed)
from common.fid import fid_from_features, inception_features, inception_model, kid, precision_recall
from common.figures import image_grid
from common.images import save_image
from common.runs import (atomic_write, inherit_breaks, record_settings, run_dirs, write_metrics,
                         write_text)
from gan_dogs import data
from gan_dogs.figures import fid_bars, fid_by_epoch_figure


FEATURE_CACHE = Path("runs") / "gan_dogs" / ".inception_features"


def fixed_set_features(model, network, images, batch_size):
    """Inception features of a set that is the same in every evaluation (the reference photos, the
    held-out floor, the noise ceiling), kept in FEATURE_CACHE under a hash of the network (its
    name and first weights) and the pixels: evaluating again, or the ablation's five runs, reuse
    them (the 3,600 reference photos take about 10 minutes on a 2-core CPU)."""
    images = np.ascontiguousarray(images)
    key = hashlib.sha1(f"{network} {images.shape} {images.dtype}".encode() + images.tobytes())
    for weight in model.weights[:1]:
        key.update(ops.convert_to_numpy(weight).tobytes())
    path = FEATURE_CACHE / f"{key.hexdigest()[:20]}.npy"
    if path.is_file():
        return np.load(path)
    features = inception_features(model, images, batch_size, verbose=2 if len(images) > 1000 else 0)
    with atomic_write(path) as temporary:
        np.save(temporary, features)
    return features


def generate(generator, n, seed=0, batch_size=100):
    """n images in [0, 1] from z ~ N(0, I)."""
    z = np.random.default_rng(seed).standard_normal((n, generator.input_shape[-1])).astype("float32")
    images = generator.predict(z, batch_size=batch_size, verbose=0)
    return np.clip(ops.convert_to_numpy(data.to_unit(images)), 0.0, 1.0)


def load_generator(path):
    try:
        return keras.saving.load_model(path, compile=False)
    except (OSError, ValueError) as err:
        raise UserError(f"cannot read the generator {path} ({err})") from None


def snapshot_generators(run_dir):
    """{epoch: path} of the run's generator_epoch_NNN.keras checkpoints."""
    return {int(p.stem.rsplit("_", 1)[1]): p for p in sorted(run_dir.glob("generator_epoch_*.keras"))}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m gan_dogs.evaluate", description=__doc__,
                                     formatter_class=HelpFormatter)
    parser.add_argument("--run-name", type=run_name, required=True,
                        help="the training run: reads runs/gan_dogs/<run-name>/generator.keras")
    parser.add_argument("--generator", default=None,
                        help="another generator file instead: a path, or a file name in the run "
                             "folder (e.g. generator_epoch_010.keras); its scores go to the "
                             "run folder's evaluate_<name>/, not over the run's own")
    # improved precision and recall count k = 3 neighbours: 4 images at least
    parser.add_argument("--n-images", type=at_least(4), default=300,
                        help="generated, held-out and noise images per set")
    parser.add_argument("--n-reference", type=at_least(4), default=None,
                        help="use only N random training photos as the reference set "
                             "(default: all of them)")
    parser.add_argument("--by-epoch", action=argparse.BooleanOptionalAction, default=True,
                        help="also score every generator_epoch_NNN.keras of the run (default: "
                             "yes; about 40 s each on a 2-core CPU)")
    parser.add_argument("--val-fraction", type=finite(float), default=0.1,
                        help="held-out fraction, as in training")
    parser.add_argument("--inception-weights", default=None,
                        help="InceptionV3 weights file (default: resolved by common.assets; "
                             "see README)")
    parser.add_argument("--batch-size", type=positive(int), default=50,
                        help="images per Inception batch")
    add_data_dir_argument(parser, "dogs/")
    add_seed_argument(parser, "the latent vectors and the held-out split")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    # assignment 5 Q2(3): the FID of 300 generated images
    breaks = [] if args.n_images == 300 else [f"FID of {args.n_images} generated images, not 300"]
    record_settings("gan_dogs.evaluate", args, breaks)
    return evaluate(args)


def score_row(label, fid, kid, quality=None):
    """A Markdown table row: label | FID | KID x 1000 | precision | recall ('-' where
    `quality`, the (precision, recall) pair, was not measured)."""
    scores = [f"{v:.3f}" for v in quality] if quality else ["-", "-"]
    return "| " + " | ".join([label, f"{fid:.1f}", f"{1000 * kid:.1f}", *scores]) + " |"


def evaluate(args):
    set_seed(args.seed)
    run_dir, _ = run_dirs("gan_dogs", args.run_name)
    inherit_breaks(run_dir)  # a generator trained for fewer epochs than the assignment's is REDUCED
    path = Path(args.generator or "generator.keras")
    if not path.is_file() and not path.is_absolute():
        path = run_dir / path
    if not path.is_file():
        raise UserError(f"no generator at {path}: train first (python -m gan_dogs.train "
                        f"--run-name {args.run_name}) or pass --generator FILE")
    own = path.resolve() == (run_dir / "generator.keras").resolve()
    out_dir = run_dir if own else run_dir / f"evaluate_{path.stem}"
    generator = load_generator(path)
    size = generator.output_shape[1]
    reference, held_out = data.load_dogs(args.data_dir, image_size=size,
                                         val_fraction=args.val_fraction, seed=args.seed)
    if len(held_out) < 4:
        raise UserError(f"{len(held_out)} held-out photos: the floor needs at least 4 "
                        "(raise --val-fraction)")
    rng = np.random.default_rng(args.seed)
    if args.n_reference and args.n_reference < len(reference):
        reference = reference[rng.choice(len(reference), args.n_reference, replace=False)]
    if len(held_out) < args.n_images:
        print(f"warning: only {len(held_out)} held-out photos for the floor, not {args.n_images}")
    sets = {
        "generated": generate(generator, args.n_images, args.seed),
        "real held-out (floor)": held_out[:args.n_images],
        "uniform noise (ceiling)": rng.uniform(0, 1, (args.n_images, size, size, 3)),
    }
    model, network = inception_model(args.inception_weights)
    print(f"Inception network: {network}; reference: {len(reference)} training photos "
          f"at {size}x{size}")
    start = time.time()
    ref_features = fixed_set_features(model, network, reference, args.batch_size)

    def fid_to_reference(images):
        return fid_from_features(inception_features(model, images, args.batch_size), ref_features)

    features = {name: (inception_features(model, images, args.batch_size) if name == "generated"
                       else fixed_set_features(model, network, images, args.batch_size))
                for name, images in sets.items()}
    fids = {name: fid_from_features(f, ref_features) for name, f in features.items()}
    kids = {name: kid(f, ref_features) for name, f in features.items()}
    # precision: looks like a real dog photo; recall: covers the variety of the real photos
    quality = {name: precision_recall(ref_features, features[name], k=3)
               for name in ("generated", "real held-out (floor)")}
    by_epoch = {epoch: fid_to_reference(generate(load_generator(snapshot), args.n_images, args.seed))
                for epoch, snapshot in (snapshot_generators(run_dir) if args.by_epoch and own
                                        else {}).items()}
    seconds = time.time() - start

    for name, value in fids.items():
        print(f"FID {name:26s} {value:8.2f}   KID {kids[name]:.4f}   ({len(sets[name])} images vs "
              f"{len(reference)})")
    for name, (precision, recall) in quality.items():
        print(f"precision / recall (k=3) {name:26s} {precision:.3f} / {recall:.3f}")
    fid_bars(dict(zip(["generated", "real held-out\n(floor)", "uniform noise\n(ceiling)"],
                      fids.values())), out_dir / "fid.png",
             f"FID vs {len(reference)} real dog photos, {args.n_images} images per set, "
             f"{size}x{size} ({network} Inception)")
    for epoch, value in by_epoch.items():
        print(f"FID {f'generated, epoch {epoch}':26s} {value:8.2f}")
    if by_epoch:
        fid_by_epoch_figure(by_epoch, fids["real held-out (floor)"], fids["uniform noise (ceiling)"],
                            out_dir / "fid_by_epoch.png",
                            f"FID of {args.n_images} generated dogs by training epoch "
                            f"(vs {len(reference)} real photos, {network} Inception)")
    rows = [score_row(name, fids[name], kids[name], quality.get(name)) for name in sets]
    write_text(out_dir / "scores.md", "\n".join([
        f"| {args.n_images} images vs {len(reference)} training photos | FID | KID x 1000 | "
        "precision (k=3) | recall (k=3) |", "|---|---:|---:|---:|---:|", *rows]) + "\n")
    images = sets["generated"]
    for i, image in enumerate(images):  # the scored images themselves: the assignment's 300
        save_image(out_dir / "fid_images" / f"generated_{i:03d}.png", image)
    image_grid([images[i * 10:(i + 1) * 10] for i in range(3)], out_dir / "fid_samples.png",
               f"30 of the {len(images)} generated dogs used for the FID")
    write_metrics(out_dir / "metrics.json", {
        "fid_generated": fids["generated"], "fid_real_floor": fids["real held-out (floor)"],
        "fid_noise_ceiling": fids["uniform noise (ceiling)"], "fid_network": network,
        "kid_generated": kids["generated"], "kid_real_floor": kids["real held-out (floor)"],
        "kid_noise_ceiling": kids["uniform noise (ceiling)"],
        "precision_generated": quality["generated"][0], "recall_generated": quality["generated"][1],
        "precision_real_held_out": quality["real held-out (floor)"][0],
        "recall_real_held_out": quality["real held-out (floor)"][1],
        "fid_images_per_set": args.n_images, "fid_reference_images": len(reference),
        "fid_held_out_images": len(sets["real held-out (floor)"]), "fid_image_size": size,
        "fid_generator": str(path), "fid_seconds": round(seconds, 1),
        # --no-by-epoch keeps the numbers of an earlier by-epoch evaluation (fid_by_epoch.png too)
        **({"fid_by_epoch": by_epoch} if by_epoch else {})})
    print(f"scores in {out_dir}")
    return fids


if __name__ == "__main__":
    run_cli(main)
