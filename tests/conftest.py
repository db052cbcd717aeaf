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
