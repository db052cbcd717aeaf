"""PyTorch files read into NumPy without torch: the legacy `torch.save` format (pytorch-AdaIN's
VGG19, common.assets) and TorchScript archives (the FID Inception network, common.fid).

Both pickle tensors the same way: `torch._utils._rebuild_tensor_v2(storage, offset, size, stride)`
with each storage a persistent id ('storage', torch.FloatStorage, key, ...). Only those names and
`__torch__.*` module classes are accepted: no code from the file runs.
"""
import pickle
import struct
import zipfile

import numpy as np

DTYPES = {"FloatStorage": np.float32, "DoubleStorage": np.float64, "HalfStorage": np.float16,
          "ByteStorage": np.uint8, "CharStorage": np.int8, "ShortStorage": np.int16,
          "IntStorage": np.int32, "LongStorage": np.int64, "BoolStorage": np.bool_}


class Module:
    """Stands for any `__torch__.*` class in a TorchScript pickle: keeps its attributes in order;
    `type_name` is the class's TorchScript name."""
    type_name = None

    def __setstate__(self, state):
        self.__dict__.update(state)

    def children(self):
        return {k: v for k, v in self.__dict__.items() if isinstance(v, Module)}


def _strided(data, offset, size, stride):
    return np.lib.stride_tricks.as_strided(
        data[offset:], shape=size, strides=[s * data.itemsize for s in stride]).copy()


class _Unpickler(pickle.Unpickler):
    """torch's pickle protocol with NumPy: storage(key, dtype) supplies each storage, and
    rebuild(storage, offset, size, stride) makes each tensor."""

    def __init__(self, file, storage, rebuild):
        super().__init__(file)
        self.storage, self.rebuild, self.classes = storage, rebuild, {}

    def find_class(self, module, name):
        if module.startswith("__torch__"):
            key = f"{module}.{name}"
            return self.classes.setdefault(key, type(name, (Module,), {"type_name": key}))
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda storage, offset, size, stride, *_: self.rebuild(storage, offset, size,
                                                                           stride)
        if module == "torch" and name in DTYPES:
            return DTYPES[name]
        if module == "torch.jit._pickle" and name.startswith("build_"):
            return lambda items: items  # typed lists: build_intlist([1, 7]) etc.
        if module == "collections" and name == "OrderedDict":
            return dict
        raise pickle.UnpicklingError(f"unexpected {module}.{name}")

    def persistent_load(self, pid):
        _, dtype, key = pid[:3]
        return self.storage(key, np.dtype(dtype))


def read_legacy(path):
    """A legacy (non-zip) `torch.save` file of named tensors -> {name: array}.

    Layout: pickled magic number, protocol, system info; the pickled object, whose tensors refer to
    storages by key; the pickled list of storage keys; then each storage's raw bytes, preceded by
    its element count as int64. The tensors come first, so they are made once the bytes are read.
    """
    dtypes = {}

    def storage(key, dtype):
        dtypes[key] = dtype
        return key

    with open(path, "rb") as f:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(f)
        state = _Unpickler(f, storage, rebuild=lambda *tensor: tensor).load()
        data = {}
        for key in pickle.load(f):
            (count,) = struct.unpack("<q", f.read(8))
            data[key] = np.frombuffer(f.read(count * dtypes[key].itemsize), dtypes[key])
    return {name: _strided(data[key], offset, size, stride)
            for name, (key, offset, size, stride) in state.items()}


def read_torchscript(path):
    """A TorchScript .pt (a zip) -> (root Module, {code file: source text}).

    `<root>/data.pkl` pickles the module tree: each `__torch__.X` object with its attributes and
    tensors, each storage's raw little-endian bytes being the zip member `<root>/data/<key>`.
    `<root>/code/` holds the TorchScript source of every class: what the forward passes do and the
    pooling constants.
    """
    with zipfile.ZipFile(path) as archive:
        root = next(n for n in archive.namelist() if n.endswith("/data.pkl"))[:-len("data.pkl")]

        def storage(key, dtype):
            return np.frombuffer(archive.read(f"{root}data/{key}"), dtype)

        with archive.open(root + "data.pkl") as f:
            module = _Unpickler(f, storage, rebuild=_strided).load()
        code = {n[len(root) + len("code/"):]: archive.read(n).decode()
                for n in archive.namelist() if n.startswith(root + "code/") and n.endswith(".py")}
    return module, code
