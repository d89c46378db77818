//===- QEmbedCudaRuntime.h - C API of qembed's CUDA runtime ---*- C++ -*-===//
//
// The C API of libqembed_cuda_runtime.so: load GPU modules (PTX, cubin or
// fatbin images), look up kernels and launch them on a caller's stream,
// through the CUDA driver API. The library opens libcuda.so.1 with dlopen
// the first time it is needed, so it builds and loads on machines without a
// GPU or a driver; there, every call returns an error instead.
//
// Every function returns QEMBED_CUDA_SUCCESS (0) or an error code: a
// negative qembed code below, or the positive CUresult of the driver call
// that failed. The message of the last failure on the calling thread (which
// call failed, the CUDA error name and text, the JIT log) is returned by
// qembedCudaLastError(). Nothing in the library aborts or exits.
//
// Handles (modules, functions, streams) are the driver's CUmodule,
// CUfunction and CUstream, passed as void pointers; a stream from PyTorch is
// `torch.cuda.current_stream().cuda_stream`.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_CUDA_RUNTIME_H
#define QEMBED_CUDA_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QEMBED_CUDA_EXPORT __attribute__((visibility("default")))

/// Error codes of the library's own (non-driver) failures.
enum {
  QEMBED_CUDA_SUCCESS = 0,
  /// libcuda.so.1 (or $QEMBED_CUDA_DRIVER) could not be opened.
  QEMBED_CUDA_ERROR_NO_DRIVER = -1,
  /// The driver library lacks a function the runtime needs.
  QEMBED_CUDA_ERROR_MISSING_SYMBOL = -2,
  /// A null pointer, negative device, empty image or similar.
  QEMBED_CUDA_ERROR_INVALID_ARGUMENT = -3,
};

/// Opens the driver (once per process) and calls cuInit(0).
QEMBED_CUDA_EXPORT int qembedCudaInit(void);

/// The driver's CUDA version (e.g. 12040 for 12.4).
QEMBED_CUDA_EXPORT int qembedCudaDriverVersion(int *version);

/// Number of CUDA devices.
QEMBED_CUDA_EXPORT int qembedCudaDeviceCount(int *count);

/// Compute capability of `device` (9 and 0 for sm_90).
QEMBED_CUDA_EXPORT int qembedCudaComputeCapability(int device, int *major,
                                                   int *minor);

/// Makes a context of `device` current on the calling thread: the current
///  context when it already belongs to `device` (PyTorch's, which is the
///  primary context), otherwise the device's primary context, retained once
///  per process. Modules must be loaded and launched with the same context
///  current, so callers run this before both.
QEMBED_CUDA_EXPORT int qembedCudaEnsureContext(int device);

/// Loads a module into the current context (call qembedCudaEnsureContext
///  first) from an image: PTX text (JIT-compiled by the driver; it need not
///  be NUL-terminated, `size` bytes are used), or a cubin (ELF) or fatbin
///  image. On a JIT failure the message holds the driver's error log.
QEMBED_CUDA_EXPORT int qembedCudaModuleLoad(const void *image, size_t size,
                                            void **module);

/// Unloads a module and forgets its cached functions.
QEMBED_CUDA_EXPORT int qembedCudaModuleUnload(void *module);

/// Looks up kernel `name` of `module`; answers are cached per module and
///  name.
QEMBED_CUDA_EXPORT int
qembedCudaModuleGetFunction(void *module, const char *name, void **function);

/// Launches qembed's gather kernel (the bare-pointer ABI of
/// include/qembed/Conversion/QEmbedToGPU/GatherKernel.h) in one call: makes
/// `device`'s context current if it is not, then launches `function` on
/// `stream` with a 1-D grid and the parameters packed, scales, zero points
/// (only when `zeroPoints` is not 0), ids, out (device addresses), tokens,
/// rows. The per-token call of qembed.torch: no argument arrays to build.
QEMBED_CUDA_EXPORT int qembedCudaLaunchGather(
    int device, void *function, unsigned grid, unsigned block, void *stream,
    uint64_t packed, uint64_t scales, uint64_t zeroPoints, uint64_t ids,
    uint64_t out, int32_t tokens, int32_t rows);

/// Launches `function` on `stream` (null: the legacy default stream) with
///  kernel parameters `params` (an array of pointers to each argument, as
///  cuLaunchKernel takes them). Asynchronous; launch errors are reported,
///  errors of the running kernel surface at a later synchronization.
QEMBED_CUDA_EXPORT int qembedCudaLaunch(void *function, unsigned gridX,
                                        unsigned gridY, unsigned gridZ,
                                        unsigned blockX, unsigned blockY,
                                        unsigned blockZ, unsigned sharedBytes,
                                        void *stream, void **params);

/// Waits for the work queued on `stream`.
QEMBED_CUDA_EXPORT int qembedCudaStreamSynchronize(void *stream);

/// Message of the last failure on this thread ("" if none). Valid until
///  the thread's next call into the library.
QEMBED_CUDA_EXPORT const char *qembedCudaLastError(void);

/// Code of the last failure on this thread (0 if none).
QEMBED_CUDA_EXPORT int qembedCudaLastErrorCode(void);

/// Forgets this thread's last failure.
QEMBED_CUDA_EXPORT void qembedCudaClearError(void);

//===--- The mgpu* calls of MLIR's gpu-to-llvm host code -----------------===//
//
// Ahead-of-time compiled modules (bench/gpu/build.sh) call these. They
// cannot return errors, so the first failure is recorded process-wide
// ("sticky") and every later mgpu* call does nothing until it is cleared;
// query it after a call into such a module.
//
//===----------------------------------------------------------------------===//

/// Code of the first mgpu* failure since the last clear (0 if none).
QEMBED_CUDA_EXPORT int qembedCudaStickyErrorCode(void);

/// Message of that failure ("" if none).
QEMBED_CUDA_EXPORT const char *qembedCudaStickyError(void);

/// Clears the sticky failure so that mgpu* calls run again.
QEMBED_CUDA_EXPORT void qembedCudaClearStickyError(void);

/// Routes every later mgpu* launch to `stream` (asynchronous; the caller
///  synchronizes). Null is the legacy default stream, a valid choice.
QEMBED_CUDA_EXPORT void qembedSetStream(void *stream);

/// Goes back to one synchronous stream per call (the MLIR host semantics).
QEMBED_CUDA_EXPORT void qembedUseOwnStreams(void);

// Besides mgpuModuleLoad/LoadJIT/Unload/GetFunction, mgpuStreamCreate/
// Synchronize/Destroy, mgpuLaunchKernel, mgpuSetDefaultDevice and
// mgpuMemAlloc/MemFree/Memcpy, the library defines
// `_mlir_ciface_qembedDeviceConstant_{i32,f32,f16,bf16,i8,f8E4M3FN,f8E8M0FNU}`:
// the device copy
// of a constant rank-2 host buffer, uploaded at the first call and reused
// (what --qembed-gpu-pipeline's tensor-level functions call for their
// tables; see lib/Conversion/QEmbedToGPU/StageBuffers.cpp).

#ifdef __cplusplus
} // extern "C"
#endif

#endif // QEMBED_CUDA_RUNTIME_H
