"""AdaIN: layer maths vs NumPy, frozen encoder, training, checkpoints, resume, CLIs and bad input.

All with random VGG weights (pretrained=False) and tiny images, so nothing is downloaded.
"""
import csv
import json
import shutil
import warnings
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from PIL import Image

import adain.callbacks
import adain.model
import common.precision
from adain import evaluate, stylize, train
from adain.layers import EPSILON, AdaIN, ReflectionPadding2D
from adain.model import AdaINModel, build_decoder, load_decoder
from common.vgg import ADAIN_LAYERS, VGG19_LAYERS, channel_scales, vgg19_features
from common.cli import UserError


@pytest.fixture(autouse=True)
def random_vgg(monkeypatch):
    """Every AdaINModel gets a random-weight VGG19 (no asset needed), whose features keep their
    own scale: the pretrained network's channel means would shrink them until Adam's epsilon
    outweighs the gradients."""
    monkeypatch.setattr(adain.model, "vgg19_features",
                        lambda *args, **kwargs: vgg19_features(ADAIN_LAYERS, pretrained=False))
    monkeypatch.setattr(adain.model, "channel_scales", lambda names: [np.float32(1.0)] * len(names))


def test_adain_matches_numpy_statistics():
    rng = np.random.default_rng(0)
    content = rng.normal(3.0, 2.0, (2, 5, 7, 4)).astype("float32")
    style = rng.normal(-1.0, 5.0, (2, 3, 6, 4)).astype("float32")
    out = np.asarray(AdaIN()([content, style]))
    c_mean, c_std = content.mean((1, 2), keepdims=True), np.sqrt(content.var((1, 2), keepdims=True) + EPSILON)
    s_mean, s_std = style.mean((1, 2), keepdims=True), np.sqrt(style.var((1, 2), keepdims=True) + EPSILON)
    np.testing.assert_allclose(out, s_std * (content - c_mean) / c_std + s_mean, rtol=1e-4, atol=1e-4)
    # the output carries the style's per-channel mean and (population) std
    np.testing.assert_allclose(out.mean((1, 2)), style.mean((1, 2)), atol=1e-4)
    np.testing.assert_allclose(out.std((1, 2)), style.std((1, 2)), rtol=1e-4)
    layer = AdaIN.from_config(AdaIN(epsilon=1e-3).get_config())
    assert layer.epsilon == 1e-3


def test_reflection_padding_and_decoder_shape():
    x = np.arange(2 * 3 * 4 * 1, dtype="float32").reshape(2, 3, 4, 1)
    padded = np.asarray(ReflectionPadding2D(1)(x))
    np.testing.assert_array_equal(padded, np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="reflect"))
    decoder = build_decoder()
    assert decoder(np.zeros((1, 4, 5, 512), "float32")).shape == (1, 32, 40, 3)
    clone = keras.Model.from_config(decoder.get_config())  # the custom layers are serialisable
    assert clone.count_params() == decoder.count_params()


def test_decoder_init_follows_the_seed_and_differs_per_layer():
    def kernels(seed):
        keras.utils.set_random_seed(seed)
        return [layer.get_weights()[0] for layer in build_decoder().layers if layer.name.startswith("conv")]
    first, again, other = kernels(0), kernels(0), kernels(1)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not any(np.array_equal(a, b) for a, b in zip(first, other))
    # conv2..conv4 have one shape (3, 3, 256, 256): each still starts from its own draw
    assert first[1].shape == first[2].shape == first[3].shape
    assert not np.array_equal(first[1], first[2]) and not np.array_equal(first[2], first[3])
    # PyTorch's default bound 1/sqrt(fan_in) = 1/sqrt(3*3*512) for conv1 (see torch_conv_init)
    assert 0.9 / np.sqrt(4608) < np.abs(first[0]).max() <= 1 / np.sqrt(4608)


def test_alpha_zero_gives_content_features_and_interpolation():
    model = AdaINModel()
    rng = np.random.default_rng(1)
    content, style = rng.random((1, 32, 32, 3), "float32"), rng.random((1, 48, 40, 3), "float32")
    f_c = np.asarray(model.encoder(content)[-1])
    np.testing.assert_allclose(np.asarray(model.transfer_features(content, style, alpha=0.0)), f_c, atol=1e-5)
    t = np.asarray(model.transfer_features(content, style))
    both = np.asarray(model.transfer_features(content, [style, style], interp_weights=[1, 3]))
    np.testing.assert_allclose(both, t, rtol=1e-4, atol=1e-4)  # mixing a style with itself changes nothing


def test_losses_are_measured_on_the_normalised_vgg_features(monkeypatch):
    monkeypatch.setattr(adain.model, "channel_scales", channel_scales)  # the real ones here
    rng = np.random.default_rng(2)
    model = AdaINModel(encoder=vgg19_features(ADAIN_LAYERS, pretrained=False), decoder=build_decoder())
    content, style, output = (rng.random((1, 32, 32, 3), "float32") for _ in range(3))
    _, content_loss, style_loss = (float(v) for v in model.compute_losses(content, style, output))

    def stats(f):
        return f.mean(axis=(1, 2)), np.sqrt(f.var(axis=(1, 2)) + EPSILON)
    scales = channel_scales(ADAIN_LAYERS)
    f_c, f_s, f_o = ([np.asarray(f, np.float64) for f in model.encoder(x)] for x in (content, style, output))
    (mu_c, sigma_c), (mu_s, sigma_s) = stats(f_c[-1]), stats(f_s[-1])
    t = sigma_s[:, None, None] * (f_c[-1] - mu_c[:, None, None]) / sigma_c[:, None, None] + mu_s[:, None, None]
    # each channel divided by its mean activation: the normalised VGG19 of the reference
    assert content_loss == pytest.approx(np.mean(((f_o[-1] - t) * scales[-1]) ** 2), rel=1e-4)
    expected = sum(np.mean((a[0] - b[0]) ** 2) + np.mean((a[1] - b[1]) ** 2)
                   for a, b in ((stats(o * k), stats(s * k)) for o, s, k in zip(f_o, f_s, scales)))
    assert style_loss == pytest.approx(expected, rel=1e-4)
    # measured for every layer, all positive: relu4_1's mean activation is ~20 times relu1_1's
    all_scales = channel_scales(VGG19_LAYERS)
    assert len(all_scales) == 16 and all(np.all(np.isfinite(k) & (k > 0)) for k in all_scales)
    assert 10 < np.mean(1 / scales[3]) / np.mean(1 / scales[0]) < 40


def test_channel_means_are_each_channels_mean_activation():
    from common.vgg import measure_channel_means
    keras.utils.set_random_seed(0)
    images = np.random.default_rng(0).random((3, 24, 24, 3), "float32")
    means = measure_channel_means(images, batch_size=2, pretrained=False)  # batches of 2 and 1
    assert list(means) == VGG19_LAYERS and means["block5_conv4"].shape == (512,)
    keras.utils.set_random_seed(0)  # the same random weights again
    first = np.asarray(vgg19_features(["relu1_1"], pretrained=False)(images))
    expected = first.mean(axis=(0, 1, 2))
    np.testing.assert_allclose(means["block1_conv1"], np.where(expected > 1e-6, expected, 1.0), rtol=1e-5)


def test_auto_precision_follows_the_cpu_flags(monkeypatch):
    monkeypatch.setattr(common.precision, "gpu_count", lambda: 0)
    for flags, expected in (("fpu avx2 avx512_bf16 fma", "mixed_bfloat16"),
                            ("fpu avx2 amx_bf16 fma", "mixed_bfloat16"), ("fpu avx2 fma", "float32")):
        # Path("/proc/cpuinfo").read_text() gives these flags
        monkeypatch.setattr(common.precision, "Path",
                            lambda path, text=flags: SimpleNamespace(read_text=lambda: text))
        assert common.precision.choose_precision("auto") == expected
        assert keras.mixed_precision.global_policy().name == expected


def test_bfloat16_train_steps_match_float32_on_this_backend():
    """mixed_bfloat16 (the default on bf16 hardware) keeps AdaIN's statistics and losses in float32:
    three train steps from the same weights give float32's losses within 1 % (0.2 % measured on
    TensorFlow and torch)."""
    rng = np.random.default_rng(0)
    batch = (rng.random((2, 32, 32, 3), "float32"), rng.random((2, 32, 32, 3), "float32"))
    encoder, decoder = vgg19_features(ADAIN_LAYERS, pretrained=False), build_decoder()
    weights, losses = (encoder.get_weights(), decoder.get_weights()), {}
    for policy in ("float32", "mixed_bfloat16"):
        common.precision.choose_precision(policy)
        encoder, decoder = vgg19_features(ADAIN_LAYERS, pretrained=False), build_decoder()
        encoder.set_weights(weights[0])
        decoder.set_weights(weights[1])
        model = AdaINModel(encoder=encoder, decoder=decoder)
        model.compile(optimizer=keras.optimizers.Adam(1e-4))
        losses[policy] = [float(keras.ops.convert_to_numpy(model.train_step(batch)["loss"]))
                          for _ in range(3)]
        assert model.decoder.layers[1].compute_dtype == policy.replace("mixed_", "")
    np.testing.assert_allclose(losses["mixed_bfloat16"], losses["float32"], rtol=0.01)


def test_training_keeps_encoder_frozen_and_loss_falls():
    keras.utils.set_random_seed(0)
    model = AdaINModel(style_weight=1.0)
    rng = np.random.default_rng(0)
    batch = (rng.random((2, 32, 32, 3), "float32"), rng.random((2, 32, 32, 3), "float32"))
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    before = [w.copy() for w in model.encoder.get_weights()]
    first = float(keras.ops.convert_to_numpy(model.compute_losses(*batch)[0]))
    import tensorflow as tf
    model.fit(tf.data.Dataset.from_tensors(batch).repeat(), epochs=1, steps_per_epoch=40, shuffle=False,
              verbose=0)
    last = float(keras.ops.convert_to_numpy(model.compute_losses(*batch)[0]))
    # the seeded decoder draws differ per backend: 773 -> 235 (TensorFlow), 504 -> 129 (torch)
    assert last < 0.7 * first
    for old, new in zip(before, model.encoder.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert len(model.trainable_weights) == len(model.decoder.trainable_weights)


@pytest.fixture
def data(tmp_path, monkeypatch, photos):
    monkeypatch.chdir(tmp_path)
    content = photos.folder(tmp_path / "content", 3, size=(46, 40))
    style = photos.folder(tmp_path / "style", 3, size=(46, 40), seed=1)
    (content / "notes.jpg").write_text("not an image")  # skipped by the header check
    Image.open(content / "im0.png").save(content / "cut.jpg")
    (content / "cut.jpg").write_bytes((content / "cut.jpg").read_bytes()[:300])  # truncated JPEG
    return ["--content-dir", str(content), "--style-dir", str(style),
            "--probe-content", str(content / "im1.png"), "--probe-style", str(style / "im0.png"),
            "--batch-size", "2", "--image-size", "32", "--load-size", "40", "--probe-size", "32",
            "--precision", "float32"]


def test_train_writes_checkpoints_at_exact_steps(data, capsys):
    run = train.main(data + ["--steps", "10", "--run-name", "quick/a"])
    steps = sorted(int(p.name[13:18]) for p in run.glob("decoder_step_*.weights.h5"))
    assert steps == [0, 1, 5, 8, 10]
    for name in ("stages.png", "losses.png", "history.csv", "metrics.json", "model_summary.txt",
                 "decoder_final.weights.h5", "probe_step_00008.png"):
        assert (run / name).is_file(), name
    assert not (run / "backup").exists()
    assert "warning: skipped" in capsys.readouterr().err  # notes.jpg
    results = evaluate.main(["--run-name", "quick/a", "--content-dir", data[1], "--style-dir", data[3],
                             "--pairs", "3", "--size", "32"])
    assert set(results) == {"trained decoder", "untrained decoder (step 0)", "unchanged content image"}
    # pairs from other folders than the held-out examples: beside the run's eval.md, not over it
    assert (run / "eval_other_pairs.md").is_file() and not (run / "eval.md").exists()
    by_style = json.loads((run / "eval_other_pairs.json").read_text())["style_ratio_by_style"]
    assert sum(r["pairs"] for r in by_style.values()) == 3
    assert sum(r["share"] for r in by_style.values()) == pytest.approx(1.0)


def test_final_decoder_is_the_last_step_even_when_the_checkpoints_stop_earlier(data):
    from adain.model import load_decoder
    run = train.main(data + ["--steps", "4", "--checkpoints", "0.5", "--run-name", "quick/half"])
    halfway = load_decoder(run / "decoder_step_00002.weights.h5").get_weights()
    final = load_decoder(run / "decoder_final.weights.h5").get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(halfway, final))  # steps 3 and 4 kept


def test_pairs_name_each_style_by_its_path_inside_the_style_folder(tmp_path):
    for name in ("content/c.png", "style/a/x.png", "style/b/x.png"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(tmp_path / name)
    content, style, names = evaluate.load_pairs(tmp_path / "content", tmp_path / "style", 2, 8, 0)
    assert content.shape == style.shape == (2, 8, 8, 3) and sorted(names) == ["a/x.png", "b/x.png"]


def test_style_ratios_by_hand():
    # style a: pairs 0 and 2, (1 + 3) / (4 + 4); style b: pair 1, 3 / 4; worst first
    by_style = evaluate.style_ratios(["a.jpg", "b.jpg", "a.jpg"], [1.0, 3.0, 3.0], [4.0, 4.0, 4.0])
    assert list(by_style) == ["b.jpg", "a.jpg"]
    assert by_style["b.jpg"] == pytest.approx({"pairs": 1, "ratio": 0.75, "share": 3 / 7})
    assert by_style["a.jpg"] == pytest.approx({"pairs": 2, "ratio": 0.5, "share": 4 / 7})


def test_resume_continues_at_the_right_step_and_lr(data, tmp_path, monkeypatch, capsys):
    args = data + ["--steps", "6", "--checkpoints", "0.5,1.0", "--lr-decay", "0.5", "--run-name", "r"]
    original = adain.callbacks.DecoderCheckpoints.on_train_batch_end

    def killed_at_step_5(self, batch, logs=None):
        original(self, batch, logs)
        if int(self.model.optimizer.iterations) == 5:
            raise KeyboardInterrupt
    monkeypatch.setattr(adain.callbacks.DecoderCheckpoints, "on_train_batch_end", killed_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        train.main(args)
    monkeypatch.setattr(adain.callbacks.DecoderCheckpoints, "on_train_batch_end", original)
    backup = tmp_path / "runs/adain/r/backup"
    assert backup.is_dir()
    # the progress ./run_all.sh --dry-run estimates the rest from: the one finished epoch
    killed = json.loads((tmp_path / "runs/adain/r/run.json").read_text())
    assert killed["steps_done"] == 3 and killed["train_seconds"] > 0
    with pytest.raises(UserError, match=r"other settings \(lr_decay 0.5 -> 0.25\)"):
        train.main(args + ["--lr-decay", "0.25"])  # an unfinished run continues only as it began
    capsys.readouterr()
    train.main(args + ["--resume"])
    out = capsys.readouterr().out
    assert "step 6/6" in out and "step 3/6" not in out  # resumed after the step-3 backup
    with open("runs/adain/r/history.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]  # every epoch once
    assert float(rows[-1]["learning_rate"]) == pytest.approx(1e-4 / (1 + 0.5 * 6), rel=1e-4)
    assert not backup.exists()
    # the time of both sessions, not only the last one's
    metrics = json.loads((tmp_path / "runs/adain/r/metrics.json").read_text())
    assert metrics["train_seconds"] > killed["train_seconds"]


def test_a_finished_run_is_never_written_into(data, tmp_path, capsys):
    args = data + ["--steps", "2", "--checkpoints", "1.0", "--run-name", "done"]
    run = train.main(args)
    kept = {name: (run / name).read_bytes() for name in ("metrics.json", "decoder_final.weights.h5")}
    with pytest.raises(UserError, match="holds a finished run: choose another --run-name, or add --overwrite"):
        train.main(args)
    with pytest.raises(UserError, match="holds a finished run"):
        train.main(args + ["--resume"])
    assert {name: (run / name).read_bytes() for name in kept} == kept
    with pytest.raises(UserError, match="--resume: .*never-ran holds no unfinished run"):
        train.main(data + ["--steps", "2", "--run-name", "never-ran", "--resume"])
    train.main(args + ["--overwrite"])  # moves the finished run aside, then trains afresh
    moved = [p for p in run.parent.iterdir() if p.name.startswith("done.old-")]
    assert len(moved) == 1 and (moved[0] / "metrics.json").read_bytes() == kept["metrics.json"]
    assert json.loads((run / "run.json").read_text())["finished"] is True


def test_bad_input_is_one_line_errors(data, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for bad in (["--content-dir", str(tmp_path / "missing")], ["--content-dir", str(empty)]):
        with pytest.raises(UserError):
            train.main(data + bad + ["--steps", "2"])
    with pytest.raises(SystemExit):
        train.main(["--steps", "0"])
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    with pytest.raises(UserError, match="1x1"):
        stylize.load_input(tmp_path / "dot.png", 0)
    common = ["--content", data[1], "--style", data[3]]
    with pytest.raises(UserError, match="outside"):
        stylize.main(common + ["--alpha", "1.5", "--decoder", "x.h5"])
    with pytest.raises(UserError, match="not found"):
        stylize.main(common + ["--decoder", str(tmp_path / "missing.weights.h5")])
    with pytest.raises(UserError, match="digit"):
        stylize.main(common + ["--student-id", "abc", "--decoder", "x.h5"])


def test_stylize_folders_alphas_and_figure(data, tmp_path):
    build_decoder().save_weights(tmp_path / "dec.weights.h5")
    out = tmp_path / "out"
    stylize.main(["--content", data[1], "--style", str(tmp_path / "style" / "im0.png"),
                  str(tmp_path / "style" / "im1.png"), "--student-id", "2021001",
                  "--content-size", "32", "--style-size", "32", "--preserve-color",
                  "--decoder", str(tmp_path / "dec.weights.h5"), "--out", str(out)])
    assert (out / "stylized.png").is_file()
    assert (out / "im0_im1_alpha0.5.jpg").is_file()  # odd last digit: 0.2, 0.5, 0.8
    assert len(list(out.glob("*.jpg"))) == 3 * 2 * 3  # 3 readable contents x 2 styles x 3 alphas
    # --crop: centre squares after resizing (46x40 -> 37x32 -> 32x32); --ext png
    stylize.main(["--content", str(tmp_path / "content" / "im0.png"), "--style",
                  str(tmp_path / "style" / "im0.png"), "--content-size", "32", "--style-size", "32",
                  "--crop", "--ext", "png", "--decoder", str(tmp_path / "dec.weights.h5"),
                  "--out", str(tmp_path / "crop")])
    assert Image.open(tmp_path / "crop" / "im0_im0_alpha1.png").size == (32, 32)
    # two photos called me.png in two folders: two outputs, none overwritten
    for folder in ("gate", "library"):
        (tmp_path / folder).mkdir()
        shutil.copy(tmp_path / "content" / "im0.png", tmp_path / folder / "me.png")
    stylize.main(["--content", str(tmp_path / "gate" / "me.png"), str(tmp_path / "library" / "me.png"),
                  "--style", str(tmp_path / "style" / "im0.png"), "--content-size", "32",
                  "--style-size", "32", "--ext", "png", "--decoder", str(tmp_path / "dec.weights.h5"),
                  "--out", str(tmp_path / "same")])
    assert sorted(p.name for p in (tmp_path / "same").glob("*_alpha1.png")) == [
        "gate_me_im0_alpha1.png", "library_me_im0_alpha1.png"]
    with pytest.raises(UserError, match="is a file"):  # before any work
        stylize.main(["--content", data[1], "--style", data[3], "--out", str(tmp_path / "dec.weights.h5"),
                      "--decoder", "x.h5"])


@pytest.mark.parametrize("kind", ["other model", "truncated", "empty", "folder"])
def test_an_unusable_decoder_file_is_one_error_without_warnings(tmp_path, kind):
    path = tmp_path / "decoder.weights.h5"
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])  # e.g. an ae_mnist file
    if kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        other.save_weights(path)
        if kind == "truncated":
            path.write_bytes(path.read_bytes()[:1000])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(UserError, match="decoder weights"):
            load_decoder(path)
    assert not caught, [str(w.message)[:80] for w in caught]


def test_spatial_control_matches_plain_adain_and_gives_each_half_its_style():
    rng = np.random.default_rng(0)
    model = AdaINModel(encoder=vgg19_features(ADAIN_LAYERS, pretrained=False), decoder=build_decoder())
    content, style_a, style_b = (rng.random((1, 64, 64, 3)).astype("float32") for _ in range(3))
    style_b = style_b * 0.3 + 0.6  # a brighter, flatter style: other statistics than style_a
    # all white: the first style everywhere, as plain AdaIN
    everywhere = model.transfer_features(content, [style_a, style_b], regions=np.ones((1, 64, 64, 1)))
    plain = model.transfer_features(content, style_a)
    np.testing.assert_allclose(np.asarray(everywhere), np.asarray(plain), rtol=1e-4, atol=1e-4)
    # left half white: relu4_1 statistics of each half are those of its own style
    half = np.zeros((1, 64, 64, 1), "float32")
    half[:, :, :32] = 1.0
    t = np.asarray(model.transfer_features(content, [style_a, style_b], regions=half))
    feats = {name: np.asarray(model.encode(s)[-1]) for name, s in (("a", style_a), ("b", style_b))}

    def stats(x):
        return np.concatenate([x.mean(axis=(0, 1, 2)), x.std(axis=(0, 1, 2))])
    for region, own, other in ((t[:, :, :4], "a", "b"), (t[:, :, 4:], "b", "a")):
        assert np.linalg.norm(stats(region) - stats(feats[own])) < \
            0.2 * np.linalg.norm(stats(region) - stats(feats[other]))


def test_stylize_with_a_mask_writes_the_mask_figure(data, tmp_path):
    build_decoder().save_weights(tmp_path / "dec.weights.h5")
    mask = np.zeros((20, 30), np.uint8)
    mask[:, :15] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")  # any size: resized to each content
    common = ["--content", str(tmp_path / "content" / "im0.png"), "--content-size", "32",
              "--style-size", "32", "--decoder", str(tmp_path / "dec.weights.h5")]
    stylize.main(common + ["--style", str(tmp_path / "style" / "im0.png"),
                           str(tmp_path / "style" / "im1.png"), "--mask", str(tmp_path / "mask.png"),
                           "--out", str(tmp_path / "masked")])
    assert (tmp_path / "masked" / "im0_im0+im1_mask_alpha1.jpg").is_file()
    assert (tmp_path / "masked" / "stylized.png").is_file()
    with pytest.raises(UserError, match="--mask needs exactly two style images"):
        stylize.main(common + ["--style", str(tmp_path / "style" / "im0.png"), "--mask",
                               str(tmp_path / "mask.png"), "--out", str(tmp_path / "x")])


def test_a_video_is_stylised_frame_by_frame_at_its_rate(tmp_path, monkeypatch):
    import imageio_ffmpeg

    from adain import video
    from adain.video import frames, stylize_video
    grids, draw = [], video.image_grid
    monkeypatch.setattr(video, "image_grid", lambda rows, *a, **k: grids.append(rows) or draw(rows, *a, **k))
    source = tmp_path / "clip.mp4"  # 10 seconds of 256x256 at 3 frames per second
    writer = imageio_ffmpeg.write_frames(str(source), (256, 256), fps=3, macro_block_size=1,
                                         ffmpeg_log_level="error")
    writer.send(None)
    rng = np.random.default_rng(0)
    for i in range(30):
        writer.send(np.full((256, 256, 3), i * 8, np.uint8) + rng.integers(0, 8, (256, 256, 3),
                                                                          dtype=np.uint8))
    writer.close()
    model = AdaINModel(encoder=vgg19_features(ADAIN_LAYERS, pretrained=False), decoder=build_decoder())
    style = rng.random((64, 64, 3)).astype("float32")
    count, fps = stylize_video(model, source, [style], tmp_path / "out.mp4", content_size=64,
                               progress=False)
    meta, stream = frames(tmp_path / "out.mp4")
    assert count == 30 and fps == 3 and meta["fps"] == 3 and meta["size"] == (64, 64)
    written = list(stream)
    assert len(written) == 30
    # the strip: five frames, input above output, each as written to the video (H.264 aside)
    inputs, outputs = grids[0]
    assert len(inputs) == len(outputs) == 5 and (tmp_path / "out.png").exists()
    for index, shown in zip(np.linspace(0, 29, 5).round().astype(int), outputs):
        assert shown.dtype == np.float32 and 0 <= shown.min() and shown.max() <= 1
        assert np.abs(shown - written[index] / 255.0).mean() < 0.03


def test_a_batch_of_same_size_contents_stylises_as_one_by_one():
    from adain.stylize import encode_styles, same_size_batches, stylize, stylize_batch
    rng = np.random.default_rng(0)
    model = AdaINModel(encoder=vgg19_features(ADAIN_LAYERS, pretrained=False), decoder=build_decoder())
    contents, style = rng.random((3, 32, 40, 3)).astype("float32"), rng.random((24, 24, 3)).astype("float32")
    # the style encoded once, the contents once for both alphas
    batches = stylize_batch(model, contents, encode_styles(model, [style]), alphas=[0.6, 1.0])
    for alpha, batch in zip([0.6, 1.0], batches):
        for content, output in zip(contents, batch):
            np.testing.assert_allclose(output, stylize(model, content, [style], alpha=alpha), atol=1e-4)
    assert not np.allclose(batches[0], batches[1])
    items = [("a", contents[0]), ("b", rng.random((16, 16, 3))), ("c", contents[1]), ("d", contents[2])]
    assert [[name for name, _ in b] for b in same_size_batches(items, size=2)] == [["a", "c"], ["d"], ["b"]]
    # by default a batch holds up to a megapixel: four 512x512 images, eight (at most) of 256x256
    big = [(i, np.zeros((512, 512, 3), "float32")) for i in range(9)] + \
        [(i, np.zeros((256, 200, 3), "float32")) for i in range(9, 18)]
    assert [len(b) for b in same_size_batches(big)] == [4, 4, 1, 8, 1]
