"""ctypes front end of build/gpu/libqembed_gpu.so (the AOT library of
bench/gpu/build.sh; used by test_entry_points.py and the bench/gpu scripts): calls the AOT-compiled
entry points of bench/gpu/gen_entry_points.py with torch CUDA tensors, by
passing MLIR memref descriptors (allocated, aligned, offset, sizes, strides)
to their `_mlir_ciface_` wrappers. Launches go to torch's current stream."""

import ctypes
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

DTYPES = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}

_descs = {}


def _desc_type(rank):
    if rank not in _descs:
        class Desc(ctypes.Structure):
            _fields_ = [("allocated", ctypes.c_void_p),
                        ("aligned", ctypes.c_void_p),
                        ("offset", ctypes.c_int64),
                        ("sizes", ctypes.c_int64 * rank),
                        ("strides", ctypes.c_int64 * rank)]
        _descs[rank] = Desc
    return _descs[rank]


def descriptor(t):
    assert t.is_cuda and t.is_contiguous()
    d = _desc_type(t.dim())()
    d.allocated = d.aligned = t.data_ptr()
    d.offset = 0
    for i, (n, s) in enumerate(zip(t.shape, t.stride())):
        d.sizes[i] = n
        d.strides[i] = s
    return d


class Library:
    def __init__(self, folder=None):
        build = folder or os.path.join(ROOT, "build", "gpu")
        torch.cuda.init()
        self.lib = ctypes.CDLL(os.path.join(build, "libqembed_gpu.so"))
        self.manifest = json.load(open(os.path.join(build, "manifest.json")))
        self.lib.qembedSetStream.argtypes = [ctypes.c_void_p]
        self.lib.qembedCudaStickyError.restype = ctypes.c_char_p
        self.check()  # the modules load from the library's constructors

    def check(self):
        """Raises RuntimeError when an mgpu* call of the runtime failed
        (they record a sticky error instead of aborting)."""
        if self.lib.qembedCudaStickyErrorCode():
            message = self.lib.qembedCudaStickyError().decode()
            self.lib.qembedCudaClearStickyError()
            raise RuntimeError(message)

    def use_torch_stream(self):
        self.lib.qembedSetStream(torch.cuda.current_stream().cuda_stream)

    def function(self, name):
        fn = getattr(self.lib, "_mlir_ciface_" + name)
        cfg = self.manifest[name]

        def prepare(packed, scales, ids, out, zero_points=None):
            """A zero-argument launcher with the descriptors built once."""
            operands = [packed, scales, ids]
            if not cfg["symmetric"]:
                operands.append(zero_points)
            operands.append(out)
            descs = [descriptor(t) for t in operands]
            refs = [ctypes.byref(d) for d in descs]

            def launch():
                fn(*refs)
            launch.keep = (descs, operands)
            return launch

        def call(packed, scales, ids, out, zero_points=None):
            prepare(packed, scales, ids, out, zero_points)()
            self.check()

        call.cfg = cfg
        call.prepare = prepare
        return call
