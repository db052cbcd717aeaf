"""The Word report: python-docx, with Chinese text in an East-Asian font, figures with captions,
Markdown tables as Word tables, printed model structures, code as an image and as text, and
highlighted placeholders where the student writes the analysis."""
import importlib
import inspect
import json
import re
import textwrap
import time
import unicodedata
from pathlib import Path

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from PIL import Image, ImageDraw, ImageFont

from common.runs import RUN_FILE

EAST_ASIAN_FONT = "宋体"      # SimSun: on every Chinese Windows and Office
MONOSPACE_FONT = "Consolas"
PLACEHOLDER = "在此写下你的观察与分析"
PAGE_CM, SIDE_MARGIN_CM = (21.0, 29.7), 2.5  # A4, as Chinese universities print
MAX_FIGURE_WIDTH_CM = PAGE_CM[0] - 2 * SIDE_MARGIN_CM  # also the tables' width: the text width
TABLE_FONT_SIZE = 9
CODE_FONT_SIZE = 8
# advance of a monospaced character in em: Consolas 0.55, but LibreOffice and a Mac without it
# substitute DejaVu Sans Mono or Menlo at 0.60, and a line that wraps breaks a printed table
MONOSPACE_ADVANCE_EM = 0.60


def set_fonts(style, latin, east_asian=EAST_ASIAN_FONT, size=None):
    """Word picks the font of Chinese characters from w:eastAsia, which python-docx's font.name
    does not set: without it Chinese text falls back to whatever the machine has."""
    style.font.name = latin
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)
    if size:
        style.font.size = Pt(size)


def new_document(title, author):
    document = docx.Document()
    section = document.sections[0]  # python-docx's template is US Letter, 15.2 cm of text width
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    section.left_margin = section.right_margin = Cm(SIDE_MARGIN_CM)
    styles = document.styles
    set_fonts(styles["Normal"], "Times New Roman", size=11)
    for name in ("Title", "Heading 1", "Heading 2", "Heading 3", "Caption"):
        set_fonts(styles[name], "Times New Roman")
    code = styles.add_style("Code", 1)  # a paragraph style
    code.base_style = styles["Normal"]
    set_fonts(code, MONOSPACE_FONT, size=CODE_FONT_SIZE)
    code.paragraph_format.space_after = Pt(0)
    document.core_properties.author = author
    document.core_properties.last_modified_by = author
    document.core_properties.title = title
    return document


def add_figure(document, path, caption, number):
    with Image.open(path) as image:
        width_cm = min(MAX_FIGURE_WIDTH_CM, image.width / 150 * 2.54)  # figures are 150 dpi
    document.add_picture(str(path), width=Cm(width_cm))
    picture = document.paragraphs[-1]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.paragraph_format.keep_with_next = True  # no caption alone at the top of a page
    document.add_paragraph(f"图 {number}  {caption}", style="Caption").alignment = \
        WD_ALIGN_PARAGRAPH.CENTER


def markdown_rows(text):
    """The cells of a Markdown table's rows (the |---| line left out)."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.strip().startswith("|")]
    return [row for row in rows if not all(set(cell) <= set("-: ") for cell in row)]


def add_table(document, path, caption, number):
    title = document.add_paragraph(f"表 {number}  {caption}", style="Caption")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.keep_with_next = True  # the caption goes where its table goes
    rows = [[text.replace("**", "") for text in row] for row in markdown_rows(Path(path).read_text())]
    table = document.add_table(rows=len(rows), cols=max(len(row) for row in rows))
    table.style = "Table Grid"
    widths = column_widths_cm(rows, MAX_FIGURE_WIDTH_CM)
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Cm(width)
    for index, (cells, row) in enumerate(zip(table.rows, rows)):
        # a row of wrapped cells is never split over two pages ("VampPrior, 10 pseudo-" | "inputs")
        cells._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        for cell, text, width in zip(cells.cells, row, widths):
            cell.width = Cm(width)  # Word reads the cells' widths, LibreOffice the grid's
            cell.text = text
            # every row but the last keeps with the next: the table is not split over two pages
            cell.paragraphs[0].paragraph_format.keep_with_next = index < len(rows) - 1
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(TABLE_FONT_SIZE)
                if index == 0:  # the header row
                    run.bold = True


def column_widths_cm(rows, total_cm):
    """Column widths in proportion to each column's longest cell, but never narrower than its
    longest word: equal widths broke headers mid-word ("reconstru-ction"). Chinese characters
    count twice and may break anywhere."""
    def width(text):
        return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)

    def longest_word(text):
        return max([2] + [len(word) for word in re.findall(r"[^\s\u2e80-\uffff]+", text)])

    columns = list(zip(*rows))
    words = [max(longest_word(text) for text in column) for column in columns]
    cells = [max(width(text) for text in column) for column in columns]
    cm_per_char = TABLE_FONT_SIZE * 0.55 / 72 * 2.54 * 1.1  # Latin average, bold, cell padding
    floors = [(word + 2) * cm_per_char for word in words]
    if sum(floors) >= total_cm:  # too many columns for the page: words break, as before
        return [total_cm * floor / sum(floors) for floor in floors]
    weights = [cell - word + 1 for cell, word in zip(cells, words)]
    spare = total_cm - sum(floors)
    return [floor + spare * weight / sum(weights) for floor, weight in zip(floors, weights)]


def code_font_size(lines):
    """The Code style's size, or smaller (in half points) so that the longest line fits the text
    width: Keras prints a graph model's structure 100 characters wide."""
    width_pt = MAX_FIGURE_WIDTH_CM / 2.54 * 72
    fitting = width_pt / (max(map(len, lines)) * MONOSPACE_ADVANCE_EM)
    return min(CODE_FONT_SIZE, int(fitting * 2) / 2)


def add_code_text(document, text):
    lines = text.rstrip("\n").split("\n")
    size = code_font_size(lines)
    for line in lines:
        paragraph = document.add_paragraph(line or " ", style="Code")
        if size < CODE_FONT_SIZE:
            paragraph.runs[0].font.size = Pt(size)


def source_of(name):
    """'module:Class.method' -> its source text."""
    module_name, _, attribute = name.partition(":")
    target = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    return textwrap.dedent(inspect.getsource(target)).rstrip() + "\n"


def code_image(text, path, title):
    """The code as an editor screenshot would show it ("代码截图"): syntax colours, line numbers,
    monospaced, 2x resolution so it stays sharp in Word."""
    from matplotlib import font_manager
    from pygments.lexers import PythonLexer
    from pygments.styles import get_style_by_name

    font = ImageFont.truetype(font_manager.findfont("DejaVu Sans Mono"), 26)
    colours = {token: f"#{style['color']}" for token, style in get_style_by_name("default")
               if style["color"]}
    lines = text.rstrip("\n").split("\n")
    char_w, line_h = font.getbbox("M")[2], 34
    gutter = char_w * (len(str(len(lines))) + 2)
    width = gutter + char_w * (max(len(line) for line in lines) + 2)
    image = Image.new("RGB", (width, line_h * (len(lines) + 2)), "#fbfbfb")
    draw = ImageDraw.Draw(image)
    draw.text((10, 4), title, fill="#777777", font=font)
    x, y = gutter, line_h
    for number in range(1, len(lines) + 1):
        draw.text((10, line_h * number), f"{number:>{len(str(len(lines)))}}", fill="#aaaaaa",
                  font=font)
    for token, value in PythonLexer().get_tokens(text):
        while token not in colours and token.parent is not None:
            token = token.parent
        for i, chunk in enumerate(value.split("\n")):
            if i:
                x, y = gutter, y + line_h
            draw.text((x, y), chunk, fill=colours.get(token, "#000000"), font=font)
            x += char_w * len(chunk)
    image.save(path)
    return path


def add_small_print(document, text):
    document.add_paragraph(text).runs[0].font.size = Pt(8)


def add_placeholder(document, note=""):
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(6)  # apart from a table above it
    run = paragraph.add_run(PLACEHOLDER + (f"（{note}）" if note else ""))
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def add_warning(document, lines):
    paragraph = document.add_paragraph()
    run = paragraph.add_run("注意：以下结果不满足作业要求的设置，不能作为最终提交：")
    run.bold, run.font.color.rgb = True, RGBColor(0xC0, 0x00, 0x00)
    for line in lines:
        document.add_paragraph(line, style="List Bullet").runs[0].font.color.rgb = \
            RGBColor(0xC0, 0x00, 0x00)


def settings_line(run_dir):
    """'python -m ... · key=value, ...' of the command that made the run (its run.json; else the
    last command recorded in metrics.json), and the rule breaks of both (common.runs)."""
    run_file, metrics = Path(run_dir) / RUN_FILE, Path(run_dir) / "metrics.json"
    records = [json.loads(run_file.read_text())] if run_file.is_file() else []
    if metrics.is_file():
        records.append(json.loads(metrics.read_text()).get("run", {}))
    records = [r for r in records if r.get("command")]
    if not records:
        return "", []
    values = ", ".join(f"{k}={v}" for k, v in records[0].get("settings", {}).items())
    breaks = list(dict.fromkeys(b for r in records for b in r.get("breaks_assignment_rules", [])))
    return f"python -m {records[0]['command']} · {values}", breaks


def title_block(document, assignment, name, student_id):
    document.add_paragraph("北京邮电大学《神经网络与深度学习》课程", style="Title")
    document.add_paragraph(assignment.title).runs[0].bold = True
    for label, value in (("姓名", name), ("学号", student_id), ("日期", time.strftime("%Y-%m-%d"))):
        document.add_paragraph(f"{label}：{value}")
