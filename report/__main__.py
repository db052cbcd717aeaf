"""The hand-in of an assignment, built from a profile's runs: the Word report named as the course
asks (author = your name) and the zip archives, in --out/ASSIGNMENT/.

    python -m report --assignment a3-2025 --name 张三 --student-id 2023211001
    python -m report --assignment a3-2025 --name 张三 --student-id 2023211001 \\
        --photos me_gate.jpg me_library.jpg --style la_muse.jpg --alpha-style matisse.jpg

a3-2025: 实验三_姓名_学号.docx + 实验三_姓名_学号.zip (code);
a3-2023: 实验三_姓名_学号.docx + 实验三代码_姓名_学号.zip;
a5-2023: 实验五_姓名_学号.docx + 实验五代码_姓名_学号.zip (code and trained models)
         + 实验五支撑材料_姓名_学号.zip (the 300 generated images, the stage images, the FIDs).
The report holds every figure, table, printed structure and code excerpt the questions ask for,
the settings of each run, and a highlighted placeholder wherever you must write your own
observation. Results made with settings that break the assignment's rules are flagged in red.
"""
import argparse

from common.cli import HelpFormatter, UserError, run_cli
from common.profiles import PROFILES, gpu_visible
from report.build import run_folder, write_archives, write_report
from report.contents import ASSIGNMENTS


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m report", description=__doc__,
                                formatter_class=HelpFormatter)
    p.add_argument("--assignment", required=True, choices=[*ASSIGNMENTS, "all"],
                   help="which hand-in (all: every one whose results exist)")
    p.add_argument("--name", required=True, help="your name: the report's author and file names")
    p.add_argument("--student-id", required=True, help="your student ID (its last digit picks "
                                                       "the AdaIN alphas)")
    p.add_argument("--profile", choices=[*PROFILES, "full", "auto"], default="auto",
                   help="whose runs: runs/STEP/PROFILE/ (auto: gpu if a GPU is visible, else cpu)")
    p.add_argument("--out", default="reports",
                   help="folder for the hand-ins, one subfolder per assignment (both assignment-3 "
                        "variants name their files 实验三_...)")
    p.add_argument("--photos", nargs=2, metavar=("A", "B"),
                   help="a3-2025 Q2 (3)/(4): your two photos (default: the example photos, with "
                        "a note that yours belong there)")
    p.add_argument("--style", help="the style of Q2 (3)")
    p.add_argument("--alpha-style", help="the other style of Q2 (4)")
    args = p.parse_args(argv)
    if args.photos and not (args.style and args.alpha_style):
        p.error("--photos needs --style and --alpha-style")
    return args


def stylize_own_photos(args, profile):
    """Q2 (3) and (4) with the student's photos and the trained decoder, into the adain run folder
    (where the report looks for part3/ and part4/)."""
    from adain import stylize

    folder = run_folder(".", "adain", profile)
    decoder = folder / "decoder_final.weights.h5"
    if not decoder.is_file():
        raise UserError(f"{decoder} is missing: run ./run_all.sh --{profile} --only adain first")
    stylize.main(["--decoder", str(decoder), "--content", *args.photos, "--style", args.style,
                  "--out", str(folder / "part3")])
    stylize.main(["--decoder", str(decoder), "--content", args.photos[0], "--style",
                  args.alpha_style, "--student-id", args.student_id, "--out", str(folder / "part4")])


def main(argv=None):
    args = parse_args(argv)
    profile = {"full": "gpu", "auto": "gpu" if gpu_visible() else "cpu"}.get(args.profile,
                                                                            args.profile)
    keys = list(ASSIGNMENTS) if args.assignment == "all" else [args.assignment]
    notes = {}
    if "a3-2025" in keys:
        if args.photos:
            stylize_own_photos(args, profile)
        else:
            own = "这里应放入你自己与北邮景点的两张合照的结果：python -m report ... --photos A.jpg B.jpg"
            notes = {("adain", "(3)"): own, ("adain", "(4)"): own}
    made = []
    for key in keys:
        try:
            report = write_report(key, args.name, args.student_id, out=args.out, profile=profile,
                                  notes=notes)
            archives = write_archives(key, args.name, args.student_id, out=args.out,
                                      profile=profile)
        except UserError as err:
            if args.assignment != "all":
                raise
            print(f"{key}: skipped ({err})")
            continue
        made += [report, *archives]
    if not made:
        raise UserError("no results for any assignment yet: run ./run_all.sh first")
    for path in made:
        print(f"{path}  ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    run_cli(main)
