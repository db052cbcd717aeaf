"""common/: PSNR, the data-folder rules, figures, run files, CLI errors, run_all.sh."""
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from common.cli import UserError, data_dir, run_cli
from common.figures import image_grid, loss_curves, read_history
from common.images import list_images, load_image, load_image_folder, load_images
from common.metrics import psnr, psnr_per_image
from common.runs import run_dirs, write_metrics
from common.summary import write_summary

ROOT = Path(__file__).resolve().parent.parent


def test_psnr_matches_hand_computed_values():
    # image 1: peak 1.0, every pixel off by 0.1 -> MSE 0.01 -> 10 log10(1 / 0.01) = 20 dB
    # image 2: peak 0.5, every pixel off by 0.1 -> MSE 0.01 -> 10 log10(0.25 / 0.01) = 13.979 dB
    x = np.array([[[0.0, 0.5], [1.0, 0.5]], [[0.5, 0.2], [0.0, 0.4]]])
    x_hat = x + np.array([0.1, -0.1])
    assert psnr_per_image(x, x_hat) == pytest.approx([20.0, 10 * math.log10(25)])
    assert psnr(x, x_hat) == pytest.approx((20.0 + 13.979400) / 2, abs=1e-5)
    assert psnr(x, x) == math.inf
    with pytest.raises(ValueError):
        psnr(x, x[:1])


@pytest.fixture
def messy_folder(tmp_path):
    """A user's folder: good images of many modes, junk, corrupt and truncated files, a subfolder."""
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(folder / "rgb.jpg")
    Image.fromarray(rgb).convert("RGBA").save(folder / "rgba.png")
    Image.fromarray(rgb).convert("CMYK").save(folder / "cmyk.jpg")
    Image.fromarray(rgb[..., 0]).save(folder / "sub" / "gray.png")
    Image.fromarray((rng.integers(0, 65535, (40, 60))).astype(np.uint16)).save(folder / "deep16.png")
    # a phone photo stored landscape (60 wide, 40 high) with EXIF "rotate 90 CW" (orientation 6)
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(folder / "phone.jpg", exif=exif)
    (folder / "notes.txt").write_text("not an image")
    (folder / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    good = (folder / "rgb.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 2])
    return folder


def test_folder_rules_skip_bad_files_and_convert_the_rest(messy_folder, capsys):
    paths = list_images(messy_folder)
    assert {p.name for p in paths} == {"rgb.jpg", "rgba.png", "cmyk.jpg", "gray.png", "deep16.png",
                                       "phone.jpg", "corrupt.jpg", "truncated.jpg"}
    images, good, n_bad = load_images(paths)
    assert n_bad == 2 and {p.name for p in good} == {"rgb.jpg", "rgba.png", "cmyk.jpg", "gray.png",
                                                     "deep16.png", "phone.jpg"}
    warnings = capsys.readouterr().err
    assert warnings.count("warning: skipped cannot read image") == 2 and "2 unreadable" in warnings
    for img in images:
        assert img.dtype == np.float32 and img.ndim == 3 and img.shape[-1] == 3
        assert 0.0 <= img.min() and img.max() <= 1.0
    assert load_image(messy_folder / "phone.jpg").shape == (60, 40, 3)  # upright
    assert load_image(messy_folder / "deep16.png").max() > 0.9  # 16-bit scaled, not clipped to 0/1


def test_big_photos_are_reduced_and_tiny_ones_refused(tmp_path):
    Image.new("RGB", (4000, 3000), (10, 200, 30)).save(tmp_path / "big.jpg")
    img = load_image(tmp_path / "big.jpg", max_side=500)
    assert max(img.shape[:2]) <= 500 and img.shape[1] > img.shape[0]
    assert img[0, 0] == pytest.approx([10 / 255, 200 / 255, 30 / 255], abs=0.03)
    Image.new("RGB", (1, 1)).save(tmp_path / "dot.png")
    with pytest.raises(UserError, match="1x1"):
        load_image(tmp_path / "dot.png")


def test_images_too_big_to_decode_are_refused_unless_a_jpeg_decodes_reduced(tmp_path, monkeypatch):
    import common.images
    monkeypatch.setattr(common.images, "DECODE_LIMIT", 1_000_000)  # as 150 Mpx is to a 20000^2 PNG
    Image.new("RGB", (1200, 1000)).save(tmp_path / "huge.png")
    with pytest.raises(UserError, match="1200x1000 pixels, too large to decode"):
        load_image(tmp_path / "huge.png", max_side=100)
    Image.new("RGB", (4000, 3000)).save(tmp_path / "huge.jpg")  # decoded at 1/8: 500x375
    assert load_image(tmp_path / "huge.jpg", max_side=500).shape == (375, 500, 3)
    with pytest.raises(UserError, match="4000x3000"):
        load_image(tmp_path / "huge.jpg")  # no max_side: no reduced decode


def test_missing_or_empty_folders_are_user_errors(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        list_images(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(UserError, match="no images"):
        list_images(tmp_path / "empty")


def test_load_image_folder_crops_to_squares(messy_folder):
    batch, paths = load_image_folder(messy_folder, size=16)
    assert batch.shape == (6, 16, 16, 3) and batch.dtype == np.uint8 and len(paths) == 6
    subset, _ = load_image_folder(messy_folder, size=8, limit=3)
    assert len(subset) <= 3


def test_figures_and_run_files_are_written(tmp_path):
    rng = np.random.default_rng(0)
    path = image_grid([[rng.random((8, 8)) for _ in range(3)], [rng.random((8, 8, 3))] * 2],
                      tmp_path / "fig" / "grid.png", "A grid", row_labels=["a", "b"],
                      col_labels=["0", "1", "2"])
    assert path.is_file() and Image.open(path).size[0] > 100
    history_csv = tmp_path / "history.csv"
    history_csv.write_text("epoch,loss,val_loss\n0,1.0,1.2\n1,0.5,0.7\n")
    history = read_history(history_csv)
    assert history["val_loss"] == [1.2, 0.7]
    assert loss_curves(history, tmp_path / "loss.png", "Loss").is_file()

    run_dir, log_dir = run_dirs("pkg", "nested/name", root=tmp_path)
    assert run_dir == tmp_path / "runs" / "pkg" / "nested" / "name" and log_dir.is_dir()
    write_metrics(run_dir / "metrics.json", {"a": np.float32(1.5), "b": float("nan")})
    merged = write_metrics(run_dir / "metrics.json", {"c": np.int64(3)})
    assert merged == {"a": 1.5, "b": "nan", "c": 3}
    assert json.loads((run_dir / "metrics.json").read_text()) == merged

    results = tmp_path / "results"
    (results / "pkg").mkdir(parents=True)
    (results / "pkg" / "metrics.json").write_text(json.dumps({"psnr": 21.5, "nested": {"x": 1}}))
    (results / "pkg" / "fig.png").write_bytes(b"")
    (results / "pkg" / "eval.md").write_text("| output | loss |\n|---|---:|\n| trained | 0.5 |\n")
    (results / "gan").mkdir()
    (results / "gan" / "metrics.json").write_text(json.dumps({"fid": 300.0, "run": {
        "command": "gan_dogs.train", "settings": {"epochs": 20},
        "breaks_assignment_rules": ["no images after epoch 30/50"]}}))
    summary = write_summary(results, "quick").read_text()
    assert "QUICK" in summary and "| psnr | 21.5 |" in summary and "| nested.x | 1 |" in summary
    assert "**REDUCED: no images after epoch 30/50**" in summary
    assert "`python -m gan_dogs.train` with epochs=20" in summary and "| fid | 300 |" in summary
    assert "QUICK" not in write_summary(results, "cpu").read_text()
    assert "`pkg/eval.md`\n\n| output | loss |\n|---|---:|\n| trained | 0.5 |\n" in summary
    # the command line takes the profile from the folder's name: results/cpu is not QUICK
    from common.summary import main as summary_main
    (tmp_path / "cpu").mkdir()
    summary_main([str(tmp_path / "cpu")])
    assert (tmp_path / "cpu" / "summary.md").read_text() == "# Results (cpu profile)\n"
    with pytest.raises(UserError, match="not a folder"):
        summary_main([str(tmp_path / "nowhere")])


def test_user_errors_are_one_line(capsys):
    def main(argv):
        raise UserError("--bottleneck must be positive")
    with pytest.raises(SystemExit) as exit_info:
        run_cli(main, [])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: --bottleneck must be positive\n"


def test_data_dir_rules(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert data_dir() == tmp_path
    assert data_dir(str(tmp_path)) == tmp_path
    with pytest.raises(UserError, match="not a folder"):
        data_dir(str(tmp_path / "nope"))


def test_run_all_help_and_bad_flags():
    helped = subprocess.run(["bash", str(ROOT / "run_all.sh"), "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--quick" in helped.stdout and "--only" in helped.stdout
    bad = subprocess.run(["bash", str(ROOT / "run_all.sh"), "--bogus"], capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown option --bogus" in bad.stderr and "usage" in bad.stderr


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "0", "-1"])
def test_number_types_refuse_non_finite_and_out_of_range_values(text):
    from common.cli import float_list, non_negative, non_negative_list, positive, seed
    parsers = [positive(float), positive(int)]
    if text != "0":
        parsers += [non_negative(float), non_negative_list, seed]
    if text in ("nan", "inf", "-inf"):
        parsers += [float_list]
    for parse in parsers:
        with pytest.raises(ValueError):
            parse(text)
    assert positive(float)("1e-4") == 1e-4 and seed("4294967295") == 2**32 - 1
    with pytest.raises(ValueError):
        seed("4294967296")
    assert non_negative_list("1,0,0.5") == [1.0, 0.0, 0.5]


def test_native_stderr_filter_drops_known_chatter_and_keeps_the_rest(capfd):
    import os

    from common import native_stderr_filtered
    with native_stderr_filtered():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written "
                    b"to STDERR\n"
                    b"I0000 00:00:1795728857.062009   11954 cudart_stub.cc:31] Could not find cuda\n"
                    b"E0000 00:00:1795728863.091501   11954 cuda_platform.cc:52] failed call to "
                    b"cuInit: INTERNAL\n"
                    b"E0000 00:00:1795728863.091501   11954 other.cc:7] a real error\n"
                    b"UserWarning: something of ours\n")
    assert capfd.readouterr().err == ("E0000 00:00:1795728863.091501   11954 other.cc:7] a real "
                                      "error\nUserWarning: something of ours\n")


def test_a_command_starts_with_its_own_first_line():
    import os
    import sys
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    code = "import gatys.stylize, sys; import tensorflow; print('first line', file=sys.stderr)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "first line\n"
