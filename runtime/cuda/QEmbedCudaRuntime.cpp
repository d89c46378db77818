//===- QEmbedCudaRuntime.cpp - The mgpu* calls of gpu-to-llvm host code ---===//
//
// A small runtime for code produced by --qembed-gpu-pipeline and compiled
// ahead of time: it implements the `mgpu*` functions that MLIR's
// gpu-to-llvm host code calls (Debian ships no libmlir_cuda_runtime) on top
// of the CUDA driver API alone, so a module plus this file make a shared
// library that needs only libcuda.so.1.
//
// Embedding callers (a framework that owns a stream) can make launches
// asynchronous on their own stream with qembedSetStream(): the host code's
// per-call stream then becomes that stream, and its synchronize/destroy calls
// become no-ops, as for any other op of the framework.
//
//===----------------------------------------------------------------------===//

#include <cuda.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace {
CUstream callerStream = nullptr;
bool useCallerStream = false;

void check(CUresult result, const char *what) {
  if (result == CUDA_SUCCESS)
    return;
  const char *name = "?", *text = "?";
  cuGetErrorName(result, &name);
  cuGetErrorString(result, &text);
  std::fprintf(stderr, "qembed cuda runtime: %s failed: %s (%s)\n", what, name,
               text);
  std::abort();
}

/// Makes the primary context of device 0 current (once per thread).
void ensureContext() {
  CUcontext current = nullptr;
  check(cuInit(0), "cuInit");
  check(cuCtxGetCurrent(&current), "cuCtxGetCurrent");
  if (current)
    return;
  CUdevice device;
  CUcontext primary;
  check(cuDeviceGet(&device, 0), "cuDeviceGet");
  check(cuDevicePrimaryCtxRetain(&primary, device), "cuDevicePrimaryCtxRetain");
  check(cuCtxSetCurrent(primary), "cuCtxSetCurrent");
}
} // namespace

extern "C" {

/// Routes every later launch to `stream` (asynchronous; the caller
/// synchronizes). Null is the legacy default stream, a valid choice.
void qembedSetStream(CUstream stream) {
  callerStream = stream;
  useCallerStream = true;
}

/// Goes back to one synchronous stream per call (the MLIR host semantics).
void qembedUseOwnStreams() {
  callerStream = nullptr;
  useCallerStream = false;
}

CUmodule mgpuModuleLoad(void *data, size_t /*size*/) {
  ensureContext();
  CUmodule module = nullptr;
  check(cuModuleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

CUmodule mgpuModuleLoadJIT(void *data, int optLevel) {
  ensureContext();
  CUmodule module = nullptr;
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL};
  void *values[] = {reinterpret_cast<void *>(intptr_t(optLevel))};
  check(cuModuleLoadDataEx(&module, data, 1, options, values),
        "cuModuleLoadDataEx (PTX JIT)");
  return module;
}

void mgpuModuleUnload(CUmodule module) {
  // Unloading during process exit can race the driver's own teardown.
  (void)cuModuleUnload(module);
}

CUfunction mgpuModuleGetFunction(CUmodule module, const char *name) {
  // The host code asks on every call; the answer never changes. The names
  // are the module's string constants, so their addresses are stable keys.
  static thread_local struct {
    CUmodule module;
    const char *name;
    CUfunction function;
  } cache[16];
  static thread_local unsigned next = 0;
  for (auto &entry : cache)
    if (entry.module == module && entry.name == name)
      return entry.function;
  CUfunction function = nullptr;
  check(cuModuleGetFunction(&function, module, name), "cuModuleGetFunction");
  cache[next++ % 16] = {module, name, function};
  return function;
}

CUstream mgpuStreamCreate() {
  if (useCallerStream)
    return callerStream;
  ensureContext();
  CUstream stream = nullptr;
  check(cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
  return stream;
}

void mgpuStreamSynchronize(CUstream stream) {
  if (useCallerStream && stream == callerStream)
    return;
  check(cuStreamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuStreamDestroy(CUstream stream) {
  if (useCallerStream && stream == callerStream)
    return;
  check(cuStreamDestroy(stream), "cuStreamDestroy");
}

void mgpuLaunchKernel(CUfunction function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, CUstream stream,
                      void **params, void **extra, size_t /*paramsCount*/) {
  check(cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                       smem, stream, params, extra),
        "cuLaunchKernel");
}

void mgpuSetDefaultDevice(int32_t device) {
  CUdevice d;
  CUcontext primary;
  check(cuInit(0), "cuInit");
  check(cuDeviceGet(&d, device), "cuDeviceGet");
  check(cuDevicePrimaryCtxRetain(&primary, d), "cuDevicePrimaryCtxRetain");
  check(cuCtxSetCurrent(primary), "cuCtxSetCurrent");
}

} // extern "C"
