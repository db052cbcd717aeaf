"""gatys: each loss against plain NumPy, the optimisation lowering the loss, the CLI and its errors."""
import json

import numpy as np
import pytest

from common.cli import UserError
from gatys import losses
from gatys.stylize import Interrupted, StyleTransfer, main, optimise

rng = np.random.default_rng(0)


def rel_err(a, b):
    return abs(float(a) - float(b)) / abs(float(b))


def test_content_loss_is_half_the_weighted_sum_of_squares():
    F, P = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    expected = 0.7 * 0.5 * sum((f - p) ** 2 for f, p in zip(F.ravel(), P.ravel()))  # eq. 1
    assert rel_err(losses.content_loss(0.7, F, P), expected) < 1e-3


def test_gram_matrix_by_hand():
    # two positions, two channels: F = [[1, 2], [3, 4]] -> F^T F = [[10, 14], [14, 20]]
    F = np.array([[[1.0, 2.0]], [[3.0, 4.0]]])  # (H=2, W=1, C=2)
    np.testing.assert_allclose(losses.gram_matrix(F, normalize=False), [[10, 14], [14, 20]])
    np.testing.assert_allclose(losses.gram_matrix(F[None]), [[5, 7], [7, 10]])  # / (H * W)


def test_style_loss_against_numpy():
    features = [rng.normal(size=(1, 4, 4, 3)), rng.normal(size=(1, 2, 2, 5))]
    targets = [rng.normal(size=(3, 3)), rng.normal(size=(5, 5))]
    weights = [0.5, 2.0]
    expected = 0.0
    for F, A, w in zip(features, targets, weights):  # the paper's eqs. 4-5, unnormalised Grams
        flat = F.reshape(-1, F.shape[-1])
        M, N = flat.shape
        expected += w * np.sum((flat.T @ flat - M * A) ** 2) / (4 * N**2 * M**2)
    assert rel_err(losses.style_loss(features, targets, weights), expected) < 1e-3


def test_tv_loss_by_hand():
    x = np.zeros((2, 2, 1))
    x[0, 0, 0] = 1.0  # one bright pixel: differs from its right and lower neighbours by 1
    assert float(losses.tv_loss(3.0, x)) == pytest.approx(6.0)
    image = rng.random((1, 5, 6, 3))
    expected = np.sum(np.diff(image, axis=1) ** 2) + np.sum(np.diff(image, axis=2) ** 2)
    assert rel_err(losses.tv_loss(1.0, image), expected) < 1e-3


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_optimisation_lowers_the_loss(optimizer):
    content = rng.random((24, 24, 3)).astype(np.float32)
    style = rng.random((24, 24, 3)).astype(np.float32)
    transfer = StyleTransfer(content, style, "relu2_1", "relu1_1,relu2_1", [1e-3, 1e-3],
                             tv_weight=1.0, pretrained=False)
    noise = rng.random(content.shape).astype(np.float32)
    image, history = optimise(transfer, noise, steps=15, optimizer=optimizer)
    # L-BFGS-B may finish its last line search a few evaluations past maxfun
    assert len(history) <= 20 and history[-1]["total"] < 0.5 * history[0]["total"]
    assert image.shape == content.shape and 0.0 <= image.min() and image.max() <= 1.0


def test_cli_writes_result_figures_and_metrics(tmp_path, monkeypatch, photos):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("common.vgg.set_vgg19_weights", lambda model, path=None: None)  # random VGG
    content, style = photos.one(tmp_path / "c.png"), photos.one(tmp_path / "s.jpg", (50, 60))
    main(["--content", str(content), "--style", str(style), "--size", "32", "--steps", "5",
          "--run-name", "t", "--style-layers", "relu1_1,relu2_1", "--content-layer", "relu2_1"])
    run = tmp_path / "runs" / "gatys" / "t"
    for name in ("result.png", "figure.png", "loss.png", "history.csv", "metrics.json"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["size"] == [26, 32] and metrics["final_loss"]["total"] <= metrics["initial_loss"]["total"]
    # beta is given for 256 x 256 pixels: the default 1e7 scaled to this photo's 26 x 32
    assert metrics["beta"] == pytest.approx(1e7 * 26 * 32 / 256**2)


def test_style_term_scales_with_the_pixel_count_as_the_content_term():
    """Eq. 1 sums over positions, eqs. 4-5 do not: the same picture at twice the side (4x the
    pixels) gets a 4x beta, so the style term's share of the loss stays about the same (it was
    a quarter before beta scaled)."""
    import keras
    # photo, painting and image of flat 4-px blocks: their 2x copies have the same statistics
    photo, painting, image = (np.kron(rng.random((4, 4, 3)), np.ones((4, 4, 1))).astype(np.float32)
                              for _ in range(3))
    shares = []
    for k in (1, 2):
        def scaled(a):
            return np.repeat(np.repeat(a, k, axis=0), k, axis=1)
        keras.utils.set_random_seed(0)  # the same random VGG for both sizes
        transfer = StyleTransfer(scaled(photo), scaled(painting), "relu1_1", "relu1_1",
                                 style_weight=1.0, tv_weight=0.0, pretrained=False)
        assert transfer.beta == pytest.approx((16 * k) ** 2 / 256**2)
        _, parts, _ = transfer(scaled(image)[None])
        shares.append(parts["style"] / parts["content"])
    assert 0.7 < shares[1] / shares[0] < 1.5


@pytest.mark.parametrize("flags, message", [
    (["--content", "missing.jpg"], "does not exist"),
    (["--content-layer", "relu9_9"], "unknown VGG19 layer"),
    (["--style-weights", "1,1"], "2 values for 5 style layers"),
])
def test_bad_input_is_a_one_line_error(tmp_path, monkeypatch, flags, message, photos):
    monkeypatch.chdir(tmp_path)
    content, style = photos.one(tmp_path / "c.png"), photos.one(tmp_path / "s.png")
    argv = ["--content", str(content), "--style", str(style), "--size", "32", "--steps", "1"]
    with pytest.raises(UserError, match=message):
        main(argv + flags)


@pytest.mark.parametrize("flag, value", [("--tv-weight", "-1"), ("--style-weight", "nan"),
                                         ("--style-weights", "1,-1"), ("--steps", "inf")])
def test_negative_or_non_finite_numbers_are_rejected_by_argparse(capsys, flag, value):
    with pytest.raises(SystemExit):
        main(["--content", "c", "--style", "s", flag, value])
    assert flag in capsys.readouterr().err


def test_examples_step_writes_pairs_init_comparison_and_bench(tmp_path, monkeypatch, photos):
    from gatys import bench, examples
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("common.vgg.set_vgg19_weights", lambda model, path=None: None)  # random VGG
    for content, style in examples.PAIRS:
        for folder, name in (("content", content), ("style", style)):
            (tmp_path / "data" / "adain_examples" / folder).mkdir(parents=True, exist_ok=True)
            photos.one(tmp_path / "data" / "adain_examples" / folder / name)
    examples.main(["--data-dir", str(tmp_path / "data"), "--size", "32", "--steps", "2",
                   "--run-name", "quick/x"])
    run = tmp_path / "runs" / "gatys" / "quick" / "x"
    for name in ("gatys_examples.png", "init_content_vs_noise.png", "init_loss.png",
                 "cornell_x_woman_with_hat_matisse_from_noise/history.csv"):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert len(metrics) == 5 and metrics["run"]["command"] == "gatys.examples"  # + 3 pairs, noise init
    assert not (run / "gatys_vs_adain.png").exists()  # no AdaIN decoder here
    # the bench reports the median of its timed steps (a fake clock: steps of 1, 2 and 7 s)
    ticks = iter([0.0, 1.0, 10.0, 12.0, 20.0, 27.0])
    monkeypatch.setattr(bench.time, "perf_counter", lambda: next(ticks))
    assert bench.time_step(32, repeats=3, pretrained=False) == 2.0


def test_examples_rejects_a_missing_adain_decoder_before_any_run(tmp_path, monkeypatch):
    from gatys import examples
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    with pytest.raises(UserError, match="does not exist"):
        examples.main(["--data-dir", str(tmp_path / "data"), "--adain-decoder", "nope.h5"])
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam"])
def test_ctrl_c_hands_back_the_image_so_far(optimizer):
    calls = []

    def transfer(image):  # loss sum((x - 0.25)^2); Ctrl-C during the third evaluation
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return float(np.sum((image - 0.25) ** 2)), {"content": 0.0}, 2 * (image - 0.25)

    init = np.full((4, 4, 3), 0.8, np.float32)
    with pytest.raises(Interrupted) as stop:
        optimise(transfer, init, steps=10, optimizer=optimizer, learning_rate=0.1)
    assert stop.value.image.shape == init.shape and len(stop.value.history) == 2
    assert np.all(stop.value.image < 0.8)  # the second evaluation's image, moved towards 0.25
