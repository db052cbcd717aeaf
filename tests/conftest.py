"""Shared test setup."""
import pytest


@pytest.fixture(autouse=True)
def no_recorded_settings():
    """A command called in-process records its settings for the rest of the process (they stamp
    every figure and metrics.json); start and leave every test without any."""
    from common import runs
    runs.RECORDED.clear()
    yield
    runs.RECORDED.clear()


@pytest.fixture
def second_run_is_refused():
    """check(main, argv, run_dir): after a finished run in run_dir, the same command (and the same
    with --resume) is refused with the 'finished run' error, and no byte of the folder changes."""
    from pathlib import Path

    from common.cli import UserError

    def snapshot(folder):
        return {p: p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}

    def check(main, argv, run_dir):
        before = snapshot(run_dir)
        assert any(p.name == "metrics.json" for p in before)
        assert any(p.name.endswith((".weights.h5", ".keras")) for p in before)
        for extra in ([], ["--resume"]):
            with pytest.raises(UserError, match="holds a finished run: choose another --run-name, "
                                                "or add --overwrite"):
                main(argv + extra)
        assert snapshot(run_dir) == before
    return check
