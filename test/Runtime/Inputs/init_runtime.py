"""Loads libqembed_cuda_runtime.so (argv[1]) with ctypes, calls
qembedCudaInit and qembedCudaDeviceCount, and prints their codes and
messages: a process that gets this far did not crash."""

import ctypes
import sys

lib = ctypes.CDLL(sys.argv[1])
lib.qembedCudaLastError.restype = ctypes.c_char_p
print("init:", lib.qembedCudaInit(), lib.qembedCudaLastError().decode())
count = ctypes.c_int(-1)
print("count:", lib.qembedCudaDeviceCount(ctypes.byref(count)),
      lib.qembedCudaLastError().decode())
