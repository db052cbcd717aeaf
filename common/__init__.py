"""Code shared by two or more assignment packages.

Imported first by every package (each package's __init__ imports it), so what is set here holds
before TensorFlow and matplotlib load, whatever a module imports first: the Keras backend, the
headless matplotlib backend, and a quiet start.
TensorFlow 2.19+ prints C++ INFO lines at import whatever TF_CPP_MIN_LOG_LEVEL says
(tensorflow/tensorflow#100442), plus a cuInit 'error' on every machine without a GPU; students
take them for errors. The import of TensorFlow, and its first look for devices, run with the
process's stderr (file descriptor 2, where C++ writes) captured; the known lines are dropped and
everything else, real warnings and errors included, is written on.
"""
import contextlib
import importlib.abc
import importlib.util
import os
import re
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")  # figures are files: no window, no display needed
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

KNOWN_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|I\d{4} [\d:.]+ +\d+ \S+\] "  # any C++ INFO line
    r"|E\d{4} [\d:.]+ +\d+ cuda_platform\.cc:\d+\] failed call to cuInit"  # no GPU: not an error
    r"|To enable the following instructions: .* rebuild TensorFlow)")


@contextlib.contextmanager
def native_stderr_filtered(noise=KNOWN_NOISE):
    """Capture file descriptor 2 for the block; then write on every line that `noise` does not
    match."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines(keepends=True):
                if not noise.match(line):
                    sys.stderr.write(line)
            sys.stderr.flush()


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports TensorFlow (and lists its devices) under native_stderr_filtered the first time any
    module asks for it, then hands the import system the module it made."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow" or self not in sys.meta_path:
            return None
        sys.meta_path.remove(self)
        with native_stderr_filtered():
            module = importlib.import_module("tensorflow")
            module.config.list_physical_devices()  # where the cuInit line is printed
        return importlib.util.spec_from_loader(name, self, origin=module.__spec__.origin)

    def create_module(self, spec):
        return sys.modules["tensorflow"]

    def exec_module(self, module):
        pass


if "tensorflow" not in sys.modules and os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2") != "0":
    sys.meta_path.insert(0, _QuietTensorFlowImport())
