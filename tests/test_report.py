"""report: the three hand-ins built from small synthetic run folders, checked with python-docx
and zipfile."""
import json
import zipfile

import docx
import numpy as np
import pytest
from docx.oxml.ns import qn
from docx.shared import Pt
from PIL import Image

from common.cli import UserError
from report import __main__ as report_cli
from report.build import check_results, run_folder
from report.contents import ASSIGNMENTS
from report.document import PLACEHOLDER, add_code_text, column_widths_cm, new_document


def fake_runs(root, key, profile="cpu", breaks=()):
    """Every file the assignment's report reads, as tiny stand-ins."""
    rng = np.random.default_rng(0)
    for question in ASSIGNMENTS[key].questions:
        folder = run_folder(root, question.step, profile)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps({"run": {
            "command": f"{question.step}.train", "settings": {"epochs": 3},
            "breaks_assignment_rules": list(breaks)}}))
        for part in question.parts:
            for path, _ in part.figures:
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(rng.integers(0, 255, (30, 60, 3), dtype=np.uint8)).save(folder / path)
            for path, _ in part.tables:
                (folder / path).write_text("| model | PSNR |\n|---|---|\n| plain | **21.4** |\n")
            for path in part.structures:
                (folder / path).parent.mkdir(parents=True, exist_ok=True)
                (folder / path).write_text('Model: "autoencoder"\n dense (Dense)  (None, 2)  66\n')
    if key == "a5-2023":
        gan = run_folder(root, "gan_dogs", profile)
        for i in range(3):
            (gan / "fid_images").mkdir(exist_ok=True)
            Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(gan / "fid_images" / f"generated_{i:03d}.png")
        for name in ("generator.keras", "generator_raw.keras", "generator_epoch_010.keras"):
            (gan / name).write_bytes(b"model")
        (run_folder(root, "vae_mnist", profile) / "standard" / "vae.weights.h5").write_bytes(b"w")
        metrics = json.loads((gan / "metrics.json").read_text())  # the GAN captions' numbers
        (gan / "metrics.json").write_text(json.dumps({**metrics, "snapshot_epochs": [4, 8, 12],
                                                      "fid_images_per_set": 120}))


@pytest.mark.parametrize("key", list(ASSIGNMENTS))
def test_each_report_has_every_part_figure_table_and_placeholder(tmp_path, monkeypatch, key):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "python").write_text("not in the archive")
    (tmp_path / "notes.py").write_text("print('project file')\n")
    (tmp_path / "笔记.md").write_text("a file with a Chinese name\n")
    fake_runs(tmp_path, key)
    report_cli.main(["--assignment", key, "--name", "张三", "--student-id", "2023211001",
                     "--profile", "cpu"])
    assignment = ASSIGNMENTS[key]
    path = tmp_path / "reports" / key / f"{assignment.report_stem}_张三_2023211001.docx"
    document = docx.Document(path)
    assert document.core_properties.author == "张三"
    assert document.core_properties.title == path.stem
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    parts = [part for question in assignment.questions for part in question.parts]
    assert [h.split(" ")[0] for h in headings] == [part.label for part in parts]
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == \
        [q.title for q in assignment.questions]
    n_figures = sum(len(part.figures) + len(part.code) for part in parts)
    assert len(document.inline_shapes) == n_figures
    assert len(document.tables) == sum(len(part.tables) for part in parts)
    # a figure keeps to its caption, a table caption to its table (never split by a page break)
    pictures = [p for p in document.paragraphs if p._p.xpath(".//pic:pic")]
    table_captions = [p for p in document.paragraphs if p.text.startswith("表 ")]
    assert len(pictures) == n_figures and len(table_captions) == len(document.tables)
    assert all(p.paragraph_format.keep_with_next for p in pictures + table_captions)
    # and no table row is cut in two by a page break
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None
               for table in document.tables for row in table.rows)
    placeholders = [p for p in document.paragraphs if p.text.startswith(PLACEHOLDER)]
    assert len(placeholders) == sum(part.analysis for part in parts)
    captions = [p.text for p in document.paragraphs if p.style.name == "Caption"]
    assert not any("{" in c for c in captions)
    if key == "a5-2023":  # the run's own snapshot epochs and image count, not the assignment's
        assert any(c.endswith("第 4、8、12 个 epoch 生成的图像（同一组随机向量）") for c in captions)
        assert any("参与 FID 计算的 120 张生成图片" in c for c in captions)
    assert placeholders[0].runs[0].font.highlight_color is not None
    for style in ("Normal", "Heading 1", "Heading 2", "Caption"):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "宋体", style
    assert not any("不满足作业要求" in p.text for p in document.paragraphs)  # a compliant run

    code_zip = tmp_path / "reports" / key / assignment.code_archive.format(name="张三",
                                                                           student_id="2023211001")
    with zipfile.ZipFile(code_zip) as z:
        names = z.namelist()
        chinese = [info for info in z.infolist() if not info.filename.isascii()]
        assert chinese and all(info.flag_bits & 0x800 for info in chinese)  # marked as UTF-8
    assert {"code/notes.py", "code/笔记.md"} <= set(names) and not any(".venv" in n or n.startswith("code/runs") for n in names)
    if key == "a5-2023":
        assert sorted(n for n in names if n.startswith("models/")) == [
            "models/gan_dogs/cpu/generator.keras", "models/vae_mnist/cpu/standard/vae.weights.h5"]
        with zipfile.ZipFile(tmp_path / "reports" / key / "实验五支撑材料_张三_2023211001.zip") as z:
            support = z.namelist()
        assert "gan/fid_images/generated_002.png" in support and "gan/stages.png" in support
    else:
        assert not any(n.startswith("models/") for n in names)


def test_reduced_runs_are_flagged_in_red_and_missing_results_name_their_command(tmp_path):
    fake_runs(tmp_path, "a3-2023", breaks=["20 epochs < 100"])
    from report.build import write_report
    path = write_report("a3-2023", "李四", "1", root=tmp_path, out=tmp_path / "out")
    warning = [p for p in docx.Document(path).paragraphs if "不满足作业要求" in p.text][0]
    assert str(warning.runs[0].font.color.rgb) == "C00000"
    # the training run's breaks count even where a later evaluation recorded none in metrics.json,
    # and the settings line names the training command
    gan = run_folder(tmp_path, "gan_dogs", "cpu")
    fake_runs(tmp_path, "a5-2023")
    (gan / "run.json").write_text(json.dumps({"command": "gan_dogs.train", "settings": {"epochs": 5},
                                              "breaks_assignment_rules": ["5 epochs"]}))
    path = write_report("a5-2023", "李四", "1", root=tmp_path, out=tmp_path / "out")
    texts = [p.text for p in docx.Document(path).paragraphs]
    assert "gan_dogs: 5 epochs" in texts and "运行设置：python -m gan_dogs.train · epochs=5" in texts
    (run_folder(tmp_path, "ae_dogs", "cpu") / "psnr_table.md").unlink()
    with pytest.raises(UserError, match=r"psnr_table.md is missing: run ./run_all.sh --cpu --only ae_dogs"):
        check_results(ASSIGNMENTS["a3-2023"], tmp_path, "cpu")


def test_all_keeps_each_assignment_in_its_own_folder(tmp_path, monkeypatch, capsys):
    """Both assignment-3 variants are named 实验三_姓名_学号.docx: `all` must not write one over the
    other. a5-2023 has no results here: skipped with its reason."""
    monkeypatch.chdir(tmp_path)
    for key in ("a3-2025", "a3-2023"):
        fake_runs(tmp_path, key)
    report_cli.main(["--assignment", "all", "--name", "王五", "--student-id", "7", "--profile", "cpu"])
    titles = {key: docx.Document(tmp_path / "reports" / key / "实验三_王五_7.docx").paragraphs
              for key in ("a3-2025", "a3-2023")}
    assert {key: any("AdaIN" in p.text for p in paragraphs) for key, paragraphs in titles.items()} \
        == {"a3-2025": True, "a3-2023": False}
    assert "a5-2023: skipped" in capsys.readouterr().out


def test_table_columns_fit_their_longest_word_and_fill_the_page():
    rows = [["prior", "reconstruction", "KL"], ["standard Gaussian N(0, I)", "132.44", "6.88"]]
    widths = column_widths_cm(rows, 16.0)
    cm_per_char = 9 * 0.55 / 72 * 2.54 * 1.1
    assert sum(widths) == pytest.approx(16.0)
    assert widths[1] >= (len("reconstruction") + 2) * cm_per_char  # the header does not break
    assert widths[0] > widths[1] > widths[2]  # the long cells get the spare room
    # Chinese characters may break anywhere: a long Chinese cell takes room, it sets no floor
    assert column_widths_cm([["很长的中文表头" * 3, "PSNR"]], 16.0)[0] > 8.0
    # too many long words for the page: shared out in proportion, still the page's width
    assert sum(column_widths_cm([["reconstruction"] * 12], 16.0)) == pytest.approx(16.0)


def test_printed_structures_shrink_until_their_widest_line_fits_the_page():
    document = new_document("t", "张三")
    section = document.sections[0]  # A4, 16 cm of text
    assert (section.page_width.cm, section.page_height.cm) == pytest.approx((21.0, 29.7), abs=0.01)
    text_width = section.page_width.cm - section.left_margin.cm - section.right_margin.cm
    assert text_width == pytest.approx(16.0, abs=0.01)
    narrow, wide = "x" * 80, "│" + "─" * 110 + "│"  # Keras prints a graph model 100+ wide
    add_code_text(document, narrow)
    add_code_text(document, f"{narrow}\n{wide}")
    first, *rest = document.paragraphs
    assert first.runs[0].font.size is None  # the Code style's 8 pt: 80 characters fit
    assert document.styles["Code"].font.size == Pt(8)
    sizes = {p.runs[0].font.size.pt for p in rest}
    assert len(sizes) == 1  # the block keeps one size
    size = sizes.pop()
    assert size < 8 and size % 0.5 == 0
    # 112 characters at 0.6 em (a substituted monospace font) fit 16 cm, half a point more not
    assert 112 * 0.6 * size <= 16 / 2.54 * 72 < 112 * 0.6 * (size + 0.5)
