"""ctypes binding of qembed's CUDA runtime library (libqembed_cuda_runtime.so,
runtime/cuda/QEmbedCudaRuntime.h): load PTX/cubin modules, look up kernels,
launch them on a caller's stream. ctypes rather than nanobind so that it works
in any Python version and without the compiler extension.

The library is found through $QEMBED_CUDA_RUNTIME (a path to the .so), else
next to this file (where `pip install .` puts it). It opens the CUDA driver
(libcuda.so.1, or $QEMBED_CUDA_DRIVER) itself at the first call; failures,
including a missing driver, raise CudaError with the runtime's message.
"""

import ctypes
import os
import threading

__all__ = ["CudaError", "Runtime", "runtime", "library_path"]

_LIB_NAME = "libqembed_cuda_runtime.so"


class CudaError(RuntimeError):
    """A failure of the CUDA runtime or driver; `code` is the negative
    qembed code (-1 no driver, -2 missing driver symbol, -3 invalid argument)
    or the CUresult of the driver call that failed."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code


def library_path():
    """Where the runtime library is looked for."""
    env = os.environ.get("QEMBED_CUDA_RUNTIME")
    if env:
        return env
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), _LIB_NAME)


class Runtime:
    """The loaded runtime library. Methods raise CudaError on failure."""

    def __init__(self, path):
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            raise CudaError("qembed's CUDA runtime library could not be "
                            "loaded from %s (%s); set QEMBED_CUDA_RUNTIME to "
                            "its path" % (path, e), -1) from None
        self.path = path
        self._lib = lib
        c_int, c_uint, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_void_p
        p_int, p_void_p = ctypes.POINTER(c_int), ctypes.POINTER(c_void_p)
        signatures = {
            "qembedCudaInit": [],
            "qembedCudaDriverVersion": [p_int],
            "qembedCudaDeviceCount": [p_int],
            "qembedCudaComputeCapability": [c_int, p_int, p_int],
            "qembedCudaEnsureContext": [c_int],
            "qembedCudaModuleLoad": [ctypes.c_char_p, ctypes.c_size_t,
                                     p_void_p],
            "qembedCudaModuleUnload": [c_void_p],
            "qembedCudaModuleGetFunction": [c_void_p, ctypes.c_char_p,
                                            p_void_p],
            "qembedCudaLaunch": [c_void_p] + [c_uint] * 7 + [c_void_p,
                                                             p_void_p],
            "qembedCudaStreamSynchronize": [c_void_p],
            "qembedCudaLaunchGather": [c_int, c_void_p, c_uint, c_uint,
                                       c_void_p] + [ctypes.c_uint64] * 5 + [
                                           ctypes.c_int32] * 2,
        }
        for name, args in signatures.items():
            fn = getattr(lib, name)
            fn.argtypes = args
            fn.restype = c_int
        lib.qembedCudaLastError.restype = ctypes.c_char_p
        lib.qembedCudaLastError.argtypes = []
        lib.qembedCudaClearError.restype = None
        self._launch = lib.qembedCudaLaunch
        self._launch_gather = lib.qembedCudaLaunchGather

    def _check(self, code):
        if code != 0:
            message = self._lib.qembedCudaLastError().decode(errors="replace")
            raise CudaError(message or "CUDA error %d" % code, code)

    def init(self):
        """Opens the driver and initializes it."""
        self._check(self._lib.qembedCudaInit())

    def driver_version(self):
        v = ctypes.c_int()
        self._check(self._lib.qembedCudaDriverVersion(ctypes.byref(v)))
        return v.value

    def device_count(self):
        n = ctypes.c_int()
        self._check(self._lib.qembedCudaDeviceCount(ctypes.byref(n)))
        return n.value

    def compute_capability(self, device):
        major, minor = ctypes.c_int(), ctypes.c_int()
        self._check(self._lib.qembedCudaComputeCapability(
            int(device), ctypes.byref(major), ctypes.byref(minor)))
        return major.value, minor.value

    def ensure_context(self, device):
        """Makes `device`'s context current on this thread (PyTorch's
        primary context when it is current already)."""
        self._check(self._lib.qembedCudaEnsureContext(int(device)))

    def load_module(self, image):
        """Loads PTX (str or bytes) or a cubin/fatbin image (bytes) into the
        current context; returns the module handle (an int)."""
        if isinstance(image, str):
            image = image.encode()
        if not isinstance(image, (bytes, bytearray)):
            raise TypeError("a module image must be str (PTX) or bytes")
        module = ctypes.c_void_p()
        self._check(self._lib.qembedCudaModuleLoad(
            bytes(image), len(image), ctypes.byref(module)))
        return module.value

    def unload_module(self, module):
        self._check(self._lib.qembedCudaModuleUnload(module))

    def get_function(self, module, name):
        """The kernel `name` of a loaded module (a handle, an int)."""
        function = ctypes.c_void_p()
        self._check(self._lib.qembedCudaModuleGetFunction(
            module, name.encode(), ctypes.byref(function)))
        return function.value

    def launch(self, function, grid, block, stream, params, shared_bytes=0):
        """Launches `function` with grid/block (3-tuples) on `stream` (an int
        handle; 0 is the legacy default stream). `params` is a sequence of
        ctypes objects, one per kernel parameter, in order."""
        n = len(params)
        pointers = (ctypes.c_void_p * max(n, 1))(
            *[ctypes.cast(ctypes.pointer(p), ctypes.c_void_p) for p in params])
        self._check(self._launch(function, grid[0], grid[1], grid[2],
                                 block[0], block[1], block[2], shared_bytes,
                                 stream, pointers))

    def launch_gather(self, device, function, grid, block, stream, packed,
                      scales, zero_points, ids, out, tokens, rows):
        """One launch of qembed's gather kernel: device addresses (ints; 0
        zero_points for symmetric tables), 1-D grid and block."""
        code = self._launch_gather(device, function, grid, block, stream,
                                   packed, scales, zero_points, ids, out,
                                   tokens, rows)
        if code:
            self._check(code)

    def synchronize(self, stream):
        self._check(self._lib.qembedCudaStreamSynchronize(stream))


_runtime = None
_lock = threading.Lock()


def runtime():
    """The process's Runtime (loaded once)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime(library_path())
        return _runtime
