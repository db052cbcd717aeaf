"""Build one assignment's hand-in from the runs: the .docx report and the zip archives."""
import fnmatch
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path

from common.cli import UserError
from common.runs import atomic_write
from report import document as doc
from report.contents import ASSIGNMENTS

# Never in the code archive: environments, runs, logs, data, caches, earlier hand-ins.
LEFT_OUT = (".venv/*", "runs/*", "logs/*", "data/*", "results/*", "reports/*", ".git/*",
            "*__pycache__*", ".pytest_cache/*", "*.pyc", "*.h5", "*.keras", "*.zip", "*.docx")


def run_folder(root, step, profile):
    return Path(root) / "runs" / step / profile


class RunValues(dict):
    """A step's metrics.json for the captions' {placeholders} (a list as 10、30、50); a key the
    run has not written stays as it is, braces and all."""

    def __init__(self, folder):
        metrics = folder / "metrics.json"
        values = json.loads(metrics.read_text()) if metrics.is_file() else {}
        super().__init__({key: "、".join(map(str, v)) if isinstance(v, list) else v
                          for key, v in values.items()})

    def __missing__(self, key):
        return "{" + key + "}"


def check_results(assignment, root, profile):
    """UserError naming the command that makes the first missing file, before anything is written."""
    for question in assignment.questions:
        folder = run_folder(root, question.step, profile)
        for part in question.parts:
            for path in ([p for p, _ in part.figures] + [p for p, _ in part.tables]
                         + part.structures):
                if not (folder / path).is_file():
                    raise UserError(f"{folder / path} is missing: run ./run_all.sh --{profile} "
                                    f"--only {question.step} first")


def write_report(key, name, student_id, root=".", out="reports", profile="cpu", notes=None):
    """The .docx; returns its path. `notes` {(step, part label): text} adds a sentence to a part's
    placeholder (say, that the student's own photos belong there)."""
    assignment, notes = ASSIGNMENTS[key], notes or {}
    check_results(assignment, root, profile)
    document = doc.new_document(f"{assignment.report_stem}_{name}_{student_id}", name)
    doc.title_block(document, assignment, name, student_id)
    settings = {q.step: doc.settings_line(run_folder(root, q.step, profile))
                for q in assignment.questions}  # {step: (settings line, rule breaks)}
    broken = {step: breaks for step, (_, breaks) in settings.items() if breaks}
    if broken or profile == "quick":
        doc.add_warning(document, [f"{step}: {'; '.join(reasons)}" for step, reasons in broken.items()]
                        or ["QUICK profile: reduced steps, epochs and image sizes"])
    figures = tables = 0
    with tempfile.TemporaryDirectory() as scratch:
        for number, question in enumerate(assignment.questions):
            folder = run_folder(root, question.step, profile)
            if number:
                document.add_page_break()  # each question starts on a page of its own
            document.add_heading(question.title, level=1)
            line, _ = settings[question.step]
            if line:
                doc.add_small_print(document, f"运行设置：{line}")
            for part in question.parts:
                document.add_heading(f"{part.label} {part.task}", level=2)
                for path in part.structures:
                    document.add_paragraph("网络结构（print 输出）：")
                    doc.add_code_text(document, (folder / path).read_text())
                for name_ in part.code:
                    source = doc.source_of(name_)
                    image = doc.code_image(source, Path(scratch) / f"code{figures}.png", name_)
                    figures += 1
                    doc.add_figure(document, image, f"代码截图：{name_}", figures)
                    doc.add_code_text(document, source)
                for path, caption in part.figures:
                    figures += 1
                    doc.add_figure(document, folder / path, caption.format_map(RunValues(folder)),
                                   figures)
                for path, caption in part.tables:
                    tables += 1
                    doc.add_table(document, folder / path, caption, tables)
                if part.analysis or (question.step, part.label) in notes:
                    doc.add_placeholder(document, notes.get((question.step, part.label), ""))
        path = Path(out) / key / f"{assignment.report_stem}_{name}_{student_id}.docx"
        with atomic_write(path) as temporary:
            document.save(temporary)
    return path


def project_files(root):
    """What git tracks (or, outside a git checkout, every file), less LEFT_OUT."""
    root = Path(root)
    listed = subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True)
    names = (listed.stdout.splitlines() if listed.returncode == 0 and listed.stdout else
             [str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()])
    return sorted(n for n in names if not any(fnmatch.fnmatch(n, pattern) for pattern in LEFT_OUT)
                  and (root / n).is_file())


def write_zip(path, members):
    """members {name in the zip: file}; UTF-8 names (zipfile sets the flag for non-ASCII)."""
    with atomic_write(path) as temporary, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as z:
        for name, file in sorted(members.items()):
            z.write(file, name)
    return Path(path)


def write_archives(key, name, student_id, root=".", out="reports", profile="cpu"):
    """The code archive (and for assignment 5 the support archive); returns their paths."""
    assignment, root = ASSIGNMENTS[key], Path(root)
    code = {f"code/{n}": root / n for n in project_files(root)}
    for pattern in assignment.model_files:
        for file in root.glob(pattern.format(profile=profile)):
            code[f"models/{file.relative_to(root / 'runs')}"] = file
    # one folder per assignment: both assignment-3 variants are named 实验三_姓名_学号
    out = Path(out) / key
    archives = [write_zip(out / assignment.code_archive.format(name=name, student_id=student_id),
                          code)]
    if assignment.support_archive:
        gan = run_folder(root, "gan_dogs", profile)
        support = {f"gan/{p.relative_to(gan)}": p for p in
                   [*gan.glob("fid_images/*.png"), *gan.glob("generated_epoch_*.png"),
                    *gan.glob("fid*.png"), gan / "stages.png", gan / "metrics.json"] if p.is_file()}
        if not any(n.startswith("gan/fid_images/") for n in support):
            raise UserError(f"{gan}/fid_images/ is missing: run python -m gan_dogs.evaluate "
                            f"--run-name {profile} first")
        archives.append(write_zip(out / assignment.support_archive.format(
            name=name, student_id=student_id), support))
    return archives
