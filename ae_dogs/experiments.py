"""Question 2 (2)-(4) on one trained autoencoder: reconstructions and codes, Gaussian samples,
noisy codes. Figures go to the run folder; returns the numbers and the decoded samples."""
import numpy as np

from ae_dogs import figures, latent
from common.cli import UserError
from common.metrics import psnr_per_image

N_SHOW = 9
NOISE_SCALES = (0.25, 0.5, 1.0, 2.0)  # noise std in units of the codes' standard deviation


def check_enough_images(train, val, n_fit):
    """The one-line error for too few photos, raised before any training (not after it)."""
    if len(val) < N_SHOW:
        raise UserError(f"only {len(val)} held-out image(s); the figures need {N_SHOW}: "
                        "raise --val-fraction or use more photos")
    if len(train) < n_fit:
        raise UserError(f"asked to fit the Gaussian to {n_fit} images but only {len(train)} "
                        "training images: lower --n-fit or use more photos")


def latent_experiments(encoder, decoder, train, val, run_dir, noise_variance=0.0, n_fit=256, seed=0):
    check_enough_images(train, val, n_fit)
    rng = np.random.default_rng(seed)
    name = f"noise variance {noise_variance:g}" if noise_variance else "plain autoencoder"

    # (2) 9 random held-out images: original, reconstruction, latent code
    x = val[rng.choice(len(val), N_SHOW, replace=False)].astype("float32") / 255.0
    codes = encoder.predict(x, verbose=0)
    x_hat = decoder.predict(codes, verbose=0)
    figures.reconstructions(x, x_hat, codes, psnr_per_image(x, x_hat), run_dir / "reconstructions.png",
                            f"(2) Held-out dogs, reconstructions and latent codes c (8x8x16), {name}")
    figures.latent_channels(x, codes, run_dir / "latent_channels.png",
                            f"(2) The 16 channel maps (8x8) of each latent code c, {name}")

    # (3) a Gaussian fitted to the codes of 256 random training images, 9 samples decoded
    fit = train[rng.choice(len(train), n_fit, replace=False)].astype("float32") / 255.0
    mean, cov = latent.fit_gaussian(encoder.predict(fit, verbose=0))
    samples = latent.sample_gaussian(mean, cov, N_SHOW, rng).astype("float32").reshape(codes.shape)
    decoded = decoder.predict(samples, verbose=0)
    figures.sample_grid(decoded, run_dir / "gaussian_samples.png",
                        f"(3) Decoded samples of N(mean, cov) fitted\nto {n_fit} latent codes, {name}")

    # (4) the 9 codes of (2) plus Gaussian noise, in units of the fitted codes' overall std
    code_std = float(np.sqrt(np.trace(cov) / len(mean)))
    by_scale = {"no noise": x_hat}
    for scale in NOISE_SCALES:
        noisy = latent.add_noise(codes, scale * code_std, rng)
        by_scale[f"noise std\n{scale:g} x {code_std:.2f}"] = decoder.predict(noisy, verbose=0)
    figures.noisy_codes(x, by_scale, run_dir / "noisy_codes.png",
                        f"(4) Codes of (2) plus Gaussian noise (std = scale x codes' std {code_std:.2f}), {name}")

    rank = int(np.linalg.matrix_rank(cov))
    metrics = {"latent_mean_power": float(np.mean(np.square(codes))), "latent_std": code_std,
               "gaussian_fit_images": n_fit, "covariance_shape": list(cov.shape), "covariance_rank": rank}
    return {"metrics": metrics, "samples": decoded, "originals": x, "reconstructions": x_hat}
