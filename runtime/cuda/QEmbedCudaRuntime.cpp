//===- QEmbedCudaRuntime.cpp - qembed's CUDA driver runtime ---------------===//
//
// libqembed_cuda_runtime.so: module loading, kernel lookup and launches on a
// caller's stream through the CUDA driver API (C API in QEmbedCudaRuntime.h),
// plus the `mgpu*` functions that MLIR's gpu-to-llvm host code calls (Debian
// ships no libmlir_cuda_runtime), for ahead-of-time compiled modules.
//
// The driver is opened with dlopen at the first call, and the few driver
// types and functions used are declared here, so the library needs neither
// the CUDA toolkit to build nor a GPU to load. Failures never abort: the C
// API returns an error code and keeps a thread-local message; the mgpu*
// calls, which return nothing, keep a sticky process-wide error instead.
//
//===----------------------------------------------------------------------===//

#include "QEmbedCudaRuntime.h"

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

namespace {

//===----------------------------------------------------------------------===//
// The driver API subset (types and values as in cuda.h)
//===----------------------------------------------------------------------===//

using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUjit_option = int;

constexpr CUresult kCudaSuccess = 0;
constexpr int kAttrComputeCapabilityMajor = 75;
constexpr int kAttrComputeCapabilityMinor = 76;
constexpr CUjit_option kJitErrorLogBuffer = 5;
constexpr CUjit_option kJitErrorLogBufferSizeBytes = 6;
constexpr CUjit_option kJitOptimizationLevel = 7;
constexpr unsigned kStreamNonBlocking = 1;

/// The driver functions the runtime calls, resolved with dlsym.
struct Driver {
  CUresult (*cuInit)(unsigned);
  CUresult (*cuDriverGetVersion)(int *);
  CUresult (*cuGetErrorName)(CUresult, const char **);
  CUresult (*cuGetErrorString)(CUresult, const char **);
  CUresult (*cuDeviceGetCount)(int *);
  CUresult (*cuDeviceGet)(CUdevice *, int);
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice);
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*cuCtxGetCurrent)(CUcontext *);
  CUresult (*cuCtxSetCurrent)(CUcontext);
  CUresult (*cuCtxGetDevice)(CUdevice *);
  CUresult (*cuModuleLoadData)(CUmodule *, const void *);
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned,
                                 CUjit_option *, void **);
  CUresult (*cuModuleUnload)(CUmodule);
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, unsigned, CUstream, void **,
                             void **);
  CUresult (*cuStreamCreate)(CUstream *, unsigned);
  CUresult (*cuStreamSynchronize)(CUstream);
  CUresult (*cuStreamDestroy)(CUstream);
  CUresult (*cuMemAlloc)(uint64_t *, size_t);
  CUresult (*cuMemFree)(uint64_t);
  CUresult (*cuMemcpyAsync)(uint64_t, uint64_t, size_t, CUstream);
  CUresult (*cuMemcpyHtoD)(uint64_t, const void *, size_t);
};

Driver driver;
/// Outcome of opening the driver and cuInit (set once).
int driverStatus = QEMBED_CUDA_SUCCESS;
std::once_flag driverOnce;

/// Process-wide state whose members have constructors. Globals of this kind
/// are not safe here: an ahead-of-time compiled module linked into the same
/// library calls mgpu* from its own global constructors and destructors, in
/// no fixed order with ours. So the state is built at its first use and
/// never destroyed.
struct State {
  /// Why the driver is unusable (with driverStatus).
  std::string driverMessage;
  /// Primary contexts this runtime retained, per device (never released:
  /// the process keeps using them, as the CUDA runtime API does).
  std::map<int, CUcontext> primaryContexts;
  /// Kernel lookups, per module and name.
  std::map<std::pair<CUmodule, std::string>, CUfunction> functions;
  /// Message of the first mgpu* failure (with stickyCode).
  std::string stickyMessage;
  /// Device copies of constant host buffers (qembedDeviceConstant_*), per
  /// context, host address and size; kept for the life of the process.
  std::map<std::tuple<CUcontext, const void *, size_t>, uint64_t> constants;
};

State &state() {
  static State *s = new State();
  return *s;
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

thread_local int lastCode = QEMBED_CUDA_SUCCESS;
thread_local std::string lastMessage;

/// Records a failure of the calling thread and returns its code.
int fail(int code, std::string message) {
  lastCode = code;
  lastMessage = std::move(message);
  return code;
}

/// "CUDA_ERROR_X (text)" for a driver result.
std::string describe(CUresult result) {
  const char *name = nullptr, *text = nullptr;
  if (driver.cuGetErrorName)
    driver.cuGetErrorName(result, &name);
  if (driver.cuGetErrorString)
    driver.cuGetErrorString(result, &text);
  if (!name) {
    // The driver's stub library (CUDA toolkit, no GPU) names nothing.
    switch (result) {
    case 3:
      name = "CUDA_ERROR_NOT_INITIALIZED";
      break;
    case 34:
      name = "CUDA_ERROR_STUB_LIBRARY";
      text = "the CUDA driver is the toolkit's stub library, not a driver";
      break;
    case 35:
      name = "CUDA_ERROR_INSUFFICIENT_DRIVER";
      break;
    case 100:
      name = "CUDA_ERROR_NO_DEVICE";
      break;
    }
  }
  std::string out = name ? name : "CUresult " + std::to_string(result);
  if (text)
    out += std::string(" (") + text + ")";
  return out;
}

/// Records a failed driver call `call` made by API function `api`.
int driverFail(const char *api, const char *call, CUresult result,
               const std::string &detail = "") {
  return fail(result, std::string(api) + ": " + call +
                          " failed: " + describe(result) + detail);
}

/// Opens the driver library, resolves the functions and calls cuInit;
/// records the outcome in driverStatus / State::driverMessage.
void openDriver() {
  const char *override = std::getenv("QEMBED_CUDA_DRIVER");
  const char *path = override && *override ? override : "libcuda.so.1";
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    driverStatus = QEMBED_CUDA_ERROR_NO_DRIVER;
    state().driverMessage = std::string("no CUDA driver: ") + path +
                            " not found or not loadable (" + (why ? why : "?") +
                            ")";
    return;
  }
  bool missing = false;
  auto bind = [&](auto &fn, const char *name) {
    void *symbol = dlsym(handle, name);
    if (!symbol && !missing) {
      missing = true;
      driverStatus = QEMBED_CUDA_ERROR_MISSING_SYMBOL;
      state().driverMessage = std::string("the CUDA driver ") + path +
                              " has no " + name + " (driver too old?)";
    }
    fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(symbol);
  };
  bind(driver.cuInit, "cuInit");
  bind(driver.cuDriverGetVersion, "cuDriverGetVersion");
  bind(driver.cuGetErrorName, "cuGetErrorName");
  bind(driver.cuGetErrorString, "cuGetErrorString");
  bind(driver.cuDeviceGetCount, "cuDeviceGetCount");
  bind(driver.cuDeviceGet, "cuDeviceGet");
  bind(driver.cuDeviceGetAttribute, "cuDeviceGetAttribute");
  bind(driver.cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
  bind(driver.cuCtxGetCurrent, "cuCtxGetCurrent");
  bind(driver.cuCtxSetCurrent, "cuCtxSetCurrent");
  bind(driver.cuCtxGetDevice, "cuCtxGetDevice");
  bind(driver.cuModuleLoadData, "cuModuleLoadData");
  bind(driver.cuModuleLoadDataEx, "cuModuleLoadDataEx");
  bind(driver.cuModuleUnload, "cuModuleUnload");
  bind(driver.cuModuleGetFunction, "cuModuleGetFunction");
  bind(driver.cuLaunchKernel, "cuLaunchKernel");
  bind(driver.cuStreamCreate, "cuStreamCreate");
  bind(driver.cuStreamSynchronize, "cuStreamSynchronize");
  bind(driver.cuStreamDestroy, "cuStreamDestroy_v2");
  bind(driver.cuMemAlloc, "cuMemAlloc_v2");
  bind(driver.cuMemFree, "cuMemFree_v2");
  bind(driver.cuMemcpyAsync, "cuMemcpyAsync");
  bind(driver.cuMemcpyHtoD, "cuMemcpyHtoD_v2");
  if (missing)
    return;
  CUresult result = driver.cuInit(0);
  if (result != kCudaSuccess) {
    driverStatus = result;
    state().driverMessage = "cuInit failed: " + describe(result);
  }
}

/// Opens the driver once; returns 0 or records why it is unusable.
int ensureDriver(const char *api) {
  std::call_once(driverOnce, openDriver);
  if (driverStatus != QEMBED_CUDA_SUCCESS)
    return fail(driverStatus, std::string(api) + ": " + state().driverMessage);
  return QEMBED_CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Contexts, modules, functions
//===----------------------------------------------------------------------===//

/// Guards State::primaryContexts and State::functions.
std::mutex stateMutex;

/// Makes a context of `device` current (see qembedCudaEnsureContext).
int ensureContext(const char *api, int device) {
  if (int err = ensureDriver(api))
    return err;
  if (device < 0)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT, std::string(api) +
                                                        ": negative device " +
                                                        std::to_string(device));
  CUcontext current = nullptr;
  if (CUresult r = driver.cuCtxGetCurrent(&current))
    return driverFail(api, "cuCtxGetCurrent", r);
  if (current) {
    CUdevice currentDevice = -1;
    if (CUresult r = driver.cuCtxGetDevice(&currentDevice))
      return driverFail(api, "cuCtxGetDevice", r);
    if (currentDevice == device)
      return QEMBED_CUDA_SUCCESS;
  }
  CUcontext primary = nullptr;
  {
    std::lock_guard<std::mutex> lock(stateMutex);
    auto it = state().primaryContexts.find(device);
    if (it != state().primaryContexts.end()) {
      primary = it->second;
    } else {
      CUdevice handle;
      if (CUresult r = driver.cuDeviceGet(&handle, device))
        return driverFail(api, "cuDeviceGet", r,
                          " for device " + std::to_string(device));
      if (CUresult r = driver.cuDevicePrimaryCtxRetain(&primary, handle))
        return driverFail(api, "cuDevicePrimaryCtxRetain", r);
      state().primaryContexts[device] = primary;
    }
  }
  if (CUresult r = driver.cuCtxSetCurrent(primary))
    return driverFail(api, "cuCtxSetCurrent", r);
  return QEMBED_CUDA_SUCCESS;
}

/// True for a cubin (ELF) or fatbin image, false for PTX text.
bool isBinaryImage(const void *image, size_t size) {
  const unsigned char *p = static_cast<const unsigned char *>(image);
  if (size != 0 && size < 4)
    return false;
  bool elf = p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F';
  uint32_t magic;
  std::memcpy(&magic, p, 4);
  return elf || magic == 0xBA55ED50u; // fatbin
}

/// Loads a module into the current context. `size` 0 means a binary image
/// or NUL-terminated PTX; `optLevel` < 0 keeps the JIT's default.
int loadModule(const char *api, const void *image, size_t size, int optLevel,
               CUmodule *module) {
  if (!image || !module)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null image or result pointer");
  *module = nullptr;
  std::string ptx;
  const void *data = image;
  if (size != 0 && !isBinaryImage(image, size)) {
    ptx.assign(static_cast<const char *>(image), size); // adds the NUL
    data = ptx.c_str();
  }
  char errorLog[16384] = {0};
  CUjit_option options[3] = {kJitErrorLogBuffer, kJitErrorLogBufferSizeBytes,
                             kJitOptimizationLevel};
  void *values[3] = {errorLog, reinterpret_cast<void *>(sizeof(errorLog)),
                     reinterpret_cast<void *>(intptr_t(optLevel))};
  unsigned count = optLevel < 0 ? 2 : 3;
  if (CUresult r =
          driver.cuModuleLoadDataEx(module, data, count, options, values)) {
    *module = nullptr;
    std::string log(errorLog, strnlen(errorLog, sizeof(errorLog)));
    return driverFail(api, "cuModuleLoadDataEx", r,
                      log.empty() ? "" : "; JIT log:\n" + log);
  }
  return QEMBED_CUDA_SUCCESS;
}

/// Looks up (and caches) kernel `name` of `module`.
int getFunction(const char *api, CUmodule module, const char *name,
                CUfunction *function) {
  if (!module || !name || !function)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null module, name or result pointer");
  std::lock_guard<std::mutex> lock(stateMutex);
  auto key = std::make_pair(module, std::string(name));
  auto &functions = state().functions;
  auto it = functions.find(key);
  if (it != functions.end()) {
    *function = it->second;
    return QEMBED_CUDA_SUCCESS;
  }
  if (CUresult r = driver.cuModuleGetFunction(function, module, name))
    return driverFail(api, "cuModuleGetFunction", r,
                      std::string(" for kernel '") + name + "'");
  functions.emplace(std::move(key), *function);
  return QEMBED_CUDA_SUCCESS;
}

/// Forgets the cached functions of `module` and unloads it.
int unloadModule(const char *api, CUmodule module) {
  if (!module)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null module");
  {
    std::lock_guard<std::mutex> lock(stateMutex);
    auto &functions = state().functions;
    for (auto it = functions.begin(); it != functions.end();)
      it = it->first.first == module ? functions.erase(it) : std::next(it);
  }
  if (CUresult r = driver.cuModuleUnload(module))
    return driverFail(api, "cuModuleUnload", r);
  return QEMBED_CUDA_SUCCESS;
}

//===----------------------------------------------------------------------===//
// Sticky errors and streams of the mgpu* calls
//===----------------------------------------------------------------------===//

std::mutex stickyMutex;
int stickyCode = QEMBED_CUDA_SUCCESS;

CUstream callerStream = nullptr;
bool useCallerStream = false;
int defaultDevice = 0;

/// True once an mgpu* call failed (later ones then do nothing).
bool stickyFailed() {
  std::lock_guard<std::mutex> lock(stickyMutex);
  return stickyCode != QEMBED_CUDA_SUCCESS;
}

/// Makes this thread's last failure the sticky one (the first one wins).
void recordSticky(int code) {
  if (code == QEMBED_CUDA_SUCCESS)
    return;
  std::lock_guard<std::mutex> lock(stickyMutex);
  if (stickyCode != QEMBED_CUDA_SUCCESS)
    return;
  stickyCode = code;
  state().stickyMessage = lastMessage;
}

/// The mgpu* calls use the current context, or the default device's
/// primary context when none is current.
int ensureAnyContext(const char *api) {
  if (int err = ensureDriver(api))
    return err;
  CUcontext current = nullptr;
  if (CUresult r = driver.cuCtxGetCurrent(&current))
    return driverFail(api, "cuCtxGetCurrent", r);
  return current ? QEMBED_CUDA_SUCCESS : ensureContext(api, defaultDevice);
}

} // namespace

//===----------------------------------------------------------------------===//
// C API
//===----------------------------------------------------------------------===//

extern "C" {

int qembedCudaInit(void) { return ensureDriver("qembedCudaInit"); }

int qembedCudaDriverVersion(int *version) {
  const char *api = "qembedCudaDriverVersion";
  if (!version)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null result pointer");
  if (int err = ensureDriver(api))
    return err;
  if (CUresult r = driver.cuDriverGetVersion(version))
    return driverFail(api, "cuDriverGetVersion", r);
  return QEMBED_CUDA_SUCCESS;
}

int qembedCudaDeviceCount(int *count) {
  const char *api = "qembedCudaDeviceCount";
  if (!count)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null result pointer");
  if (int err = ensureDriver(api))
    return err;
  if (CUresult r = driver.cuDeviceGetCount(count))
    return driverFail(api, "cuDeviceGetCount", r);
  return QEMBED_CUDA_SUCCESS;
}

int qembedCudaComputeCapability(int device, int *major, int *minor) {
  const char *api = "qembedCudaComputeCapability";
  if (!major || !minor)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null result pointer");
  if (int err = ensureDriver(api))
    return err;
  CUdevice handle;
  if (CUresult r = driver.cuDeviceGet(&handle, device))
    return driverFail(api, "cuDeviceGet", r,
                      " for device " + std::to_string(device));
  if (CUresult r = driver.cuDeviceGetAttribute(
          major, kAttrComputeCapabilityMajor, handle))
    return driverFail(api, "cuDeviceGetAttribute", r);
  if (CUresult r = driver.cuDeviceGetAttribute(
          minor, kAttrComputeCapabilityMinor, handle))
    return driverFail(api, "cuDeviceGetAttribute", r);
  return QEMBED_CUDA_SUCCESS;
}

int qembedCudaEnsureContext(int device) {
  return ensureContext("qembedCudaEnsureContext", device);
}

int qembedCudaModuleLoad(const void *image, size_t size, void **module) {
  const char *api = "qembedCudaModuleLoad";
  if (size == 0)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": empty image");
  if (int err = ensureDriver(api))
    return err;
  return loadModule(api, image, size, -1, module);
}

int qembedCudaModuleUnload(void *module) {
  const char *api = "qembedCudaModuleUnload";
  if (int err = ensureDriver(api))
    return err;
  return unloadModule(api, module);
}

int qembedCudaModuleGetFunction(void *module, const char *name,
                                void **function) {
  const char *api = "qembedCudaModuleGetFunction";
  if (int err = ensureDriver(api))
    return err;
  return getFunction(api, module, name, function);
}

int qembedCudaLaunch(void *function, unsigned gridX, unsigned gridY,
                     unsigned gridZ, unsigned blockX, unsigned blockY,
                     unsigned blockZ, unsigned sharedBytes, void *stream,
                     void **params) {
  const char *api = "qembedCudaLaunch";
  if (!function)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null function");
  if (int err = ensureDriver(api))
    return err;
  if (CUresult r =
          driver.cuLaunchKernel(function, gridX, gridY, gridZ, blockX, blockY,
                                blockZ, sharedBytes, stream, params, nullptr))
    return driverFail(
        api, "cuLaunchKernel", r,
        " (grid " + std::to_string(gridX) + "x" + std::to_string(gridY) + "x" +
            std::to_string(gridZ) + ", block " + std::to_string(blockX) + "x" +
            std::to_string(blockY) + "x" + std::to_string(blockZ) + ")");
  return QEMBED_CUDA_SUCCESS;
}

int qembedCudaLaunchGather(int device, void *function, unsigned grid,
                           unsigned block, void *stream, uint64_t packed,
                           uint64_t scales, uint64_t zeroPoints, uint64_t ids,
                           uint64_t out, int32_t tokens, int32_t rows) {
  const char *api = "qembedCudaLaunchGather";
  if (!function)
    return fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
                std::string(api) + ": null function");
  if (int err = ensureContext(api, device))
    return err;
  void *params[8];
  unsigned n = 0;
  params[n++] = &packed;
  params[n++] = &scales;
  if (zeroPoints)
    params[n++] = &zeroPoints;
  params[n++] = &ids;
  params[n++] = &out;
  params[n++] = &tokens;
  params[n++] = &rows;
  if (CUresult r = driver.cuLaunchKernel(function, grid, 1, 1, block, 1, 1, 0,
                                         stream, params, nullptr))
    return driverFail(api, "cuLaunchKernel", r,
                      " (grid " + std::to_string(grid) + ", block " +
                          std::to_string(block) + ")");
  return QEMBED_CUDA_SUCCESS;
}

int qembedCudaStreamSynchronize(void *stream) {
  const char *api = "qembedCudaStreamSynchronize";
  if (int err = ensureDriver(api))
    return err;
  if (CUresult r = driver.cuStreamSynchronize(stream))
    return driverFail(api, "cuStreamSynchronize", r);
  return QEMBED_CUDA_SUCCESS;
}

const char *qembedCudaLastError(void) { return lastMessage.c_str(); }

int qembedCudaLastErrorCode(void) { return lastCode; }

void qembedCudaClearError(void) {
  lastCode = QEMBED_CUDA_SUCCESS;
  lastMessage.clear();
}

int qembedCudaStickyErrorCode(void) {
  std::lock_guard<std::mutex> lock(stickyMutex);
  return stickyCode;
}

const char *qembedCudaStickyError(void) {
  // The message only changes when cleared; callers read it before clearing.
  std::lock_guard<std::mutex> lock(stickyMutex);
  return state().stickyMessage.c_str();
}

void qembedCudaClearStickyError(void) {
  std::lock_guard<std::mutex> lock(stickyMutex);
  stickyCode = QEMBED_CUDA_SUCCESS;
  state().stickyMessage.clear();
}

void qembedSetStream(void *stream) {
  callerStream = stream;
  useCallerStream = true;
}

void qembedUseOwnStreams(void) {
  callerStream = nullptr;
  useCallerStream = false;
}

//===----------------------------------------------------------------------===//
// mgpu* (MLIR gpu-to-llvm host code)
//===----------------------------------------------------------------------===//

/// Loads a gpu.binary image (cubin/fatbin, or NUL-terminated PTX).
QEMBED_CUDA_EXPORT void *mgpuModuleLoad(void *data, size_t size) {
  const char *api = "mgpuModuleLoad";
  CUmodule module = nullptr;
  if (stickyFailed())
    return nullptr;
  int err = ensureAnyContext(api);
  if (!err)
    err = loadModule(api, data, size, -1, &module);
  recordSticky(err);
  return module;
}

/// Loads NUL-terminated PTX with a JIT optimization level.
QEMBED_CUDA_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  const char *api = "mgpuModuleLoadJIT";
  CUmodule module = nullptr;
  if (stickyFailed())
    return nullptr;
  int err = ensureAnyContext(api);
  if (!err)
    err = loadModule(api, data, 0, optLevel, &module);
  recordSticky(err);
  return module;
}

QEMBED_CUDA_EXPORT void mgpuModuleUnload(void *module) {
  // Unloading during process exit can race the driver's own teardown, and a
  // failed load left nothing to unload.
  if (module && ensureDriver("mgpuModuleUnload") == QEMBED_CUDA_SUCCESS)
    (void)unloadModule("mgpuModuleUnload", module);
}

QEMBED_CUDA_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  // The host code asks on every call; its names are string constants, so
  // their addresses are stable keys of a lock-free per-thread front cache.
  static thread_local struct {
    void *module;
    const char *name;
    void *function;
  } cache[16];
  static thread_local unsigned next = 0;
  if (stickyFailed())
    return nullptr;
  for (auto &entry : cache)
    if (entry.module == module && entry.name == name && module)
      return entry.function;
  CUfunction function = nullptr;
  int err = ensureDriver("mgpuModuleGetFunction");
  if (!err)
    err = getFunction("mgpuModuleGetFunction", module, name, &function);
  recordSticky(err);
  if (err)
    return nullptr;
  cache[next++ % 16] = {module, name, function};
  return function;
}

QEMBED_CUDA_EXPORT void *mgpuStreamCreate() {
  const char *api = "mgpuStreamCreate";
  if (useCallerStream)
    return callerStream;
  if (stickyFailed())
    return nullptr;
  CUstream stream = nullptr;
  int err = ensureAnyContext(api);
  if (!err) {
    if (CUresult r = driver.cuStreamCreate(&stream, kStreamNonBlocking))
      err = driverFail(api, "cuStreamCreate", r);
  }
  recordSticky(err);
  return stream;
}

QEMBED_CUDA_EXPORT void mgpuStreamSynchronize(void *stream) {
  const char *api = "mgpuStreamSynchronize";
  if ((useCallerStream && stream == callerStream) || stickyFailed())
    return;
  int err = ensureDriver(api);
  if (!err) {
    if (CUresult r = driver.cuStreamSynchronize(stream))
      err = driverFail(api, "cuStreamSynchronize", r);
  }
  recordSticky(err);
}

QEMBED_CUDA_EXPORT void mgpuStreamDestroy(void *stream) {
  const char *api = "mgpuStreamDestroy";
  if ((useCallerStream && stream == callerStream) || !stream ||
      ensureDriver(api) != QEMBED_CUDA_SUCCESS)
    return;
  if (CUresult r = driver.cuStreamDestroy(stream))
    recordSticky(driverFail(api, "cuStreamDestroy", r));
}

QEMBED_CUDA_EXPORT void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                 int32_t smem, void *stream, void **params, void ** /*extra*/,
                 size_t /*paramsCount*/) {
  if (stickyFailed())
    return;
  recordSticky(qembedCudaLaunch(function, unsigned(gridX), unsigned(gridY),
                                unsigned(gridZ), unsigned(blockX),
                                unsigned(blockY), unsigned(blockZ),
                                unsigned(smem), stream, params));
}

QEMBED_CUDA_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  defaultDevice = device;
  if (stickyFailed())
    return;
  recordSticky(ensureContext("mgpuSetDefaultDevice", device));
}

/// Device memory for gpu.alloc (host-shared memory is not supported).
QEMBED_CUDA_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, CUstream /*stream*/,
                                      bool isHostShared) {
  const char *api = "mgpuMemAlloc";
  if (stickyFailed())
    return nullptr;
  int err = ensureAnyContext(api);
  uint64_t pointer = 0;
  if (!err && isHostShared)
    err = fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
               std::string(api) + ": host-shared allocations are not "
                                  "supported");
  if (!err && sizeBytes) {
    if (CUresult r = driver.cuMemAlloc(&pointer, sizeBytes))
      err = driverFail(api, "cuMemAlloc", r,
                       " of " + std::to_string(sizeBytes) + " bytes");
  }
  recordSticky(err);
  return reinterpret_cast<void *>(pointer);
}

/// Frees gpu.alloc memory once the work queued on `stream` is done.
QEMBED_CUDA_EXPORT void mgpuMemFree(void *pointer, CUstream stream) {
  const char *api = "mgpuMemFree";
  if (!pointer || stickyFailed())
    return;
  int err = ensureDriver(api);
  if (!err) {
    if (CUresult r = driver.cuStreamSynchronize(stream))
      err = driverFail(api, "cuStreamSynchronize", r);
    else if (CUresult r =
                 driver.cuMemFree(reinterpret_cast<uint64_t>(pointer)))
      err = driverFail(api, "cuMemFree", r);
  }
  recordSticky(err);
}

/// gpu.memcpy between any two addresses (unified addressing).
QEMBED_CUDA_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                   CUstream stream) {
  const char *api = "mgpuMemcpy";
  if (!sizeBytes || stickyFailed())
    return;
  int err = ensureDriver(api);
  if (!err) {
    if (CUresult r = driver.cuMemcpyAsync(reinterpret_cast<uint64_t>(dst),
                                          reinterpret_cast<uint64_t>(src),
                                          sizeBytes, stream))
      err = driverFail(api, "cuMemcpyAsync", r,
                       " of " + std::to_string(sizeBytes) + " bytes");
  }
  recordSticky(err);
}

namespace {
/// The descriptor of a rank-2 memref (MLIR's C interface).
struct MemRef2D {
  void *allocated;
  void *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};

/// A device copy of the constant host buffer `source` (identity layout),
/// made at the first call per context and host address and reused after:
/// the tables of --qembed-gpu-pipeline's tensor-level functions are
/// uploaded once per process, not per call.
void deviceConstant(const char *api, MemRef2D *result, const MemRef2D *source,
                    size_t elementBytes) {
  *result = *source;
  result->allocated = result->aligned = nullptr;
  result->offset = 0;
  if (stickyFailed())
    return;
  int err = ensureAnyContext(api);
  const char *host =
      static_cast<const char *>(source->aligned) + source->offset * elementBytes;
  size_t bytes = size_t(source->sizes[0]) * size_t(source->sizes[1]) *
                 elementBytes;
  if (!err && (source->strides[1] != 1 || source->strides[0] != source->sizes[1]))
    err = fail(QEMBED_CUDA_ERROR_INVALID_ARGUMENT,
               std::string(api) + ": the buffer is not contiguous");
  CUcontext context = nullptr;
  if (!err) {
    if (CUresult r = driver.cuCtxGetCurrent(&context))
      err = driverFail(api, "cuCtxGetCurrent", r);
  }
  uint64_t device = 0;
  if (!err) {
    std::lock_guard<std::mutex> lock(stateMutex);
    auto key = std::make_tuple(context, static_cast<const void *>(host), bytes);
    auto it = state().constants.find(key);
    if (it != state().constants.end()) {
      device = it->second;
    } else if (CUresult r = driver.cuMemAlloc(&device, bytes ? bytes : 1)) {
      err = driverFail(api, "cuMemAlloc", r,
                       " of " + std::to_string(bytes) + " bytes");
    } else if (CUresult r = driver.cuMemcpyHtoD(device, host, bytes)) {
      driver.cuMemFree(device);
      err = driverFail(api, "cuMemcpyHtoD", r);
    } else {
      state().constants[key] = device;
    }
  }
  recordSticky(err);
  if (!err) {
    result->allocated = result->aligned = reinterpret_cast<void *>(device);
    result->strides[0] = source->sizes[1];
    result->strides[1] = 1;
  }
}
} // namespace

#define QEMBED_DEVICE_CONSTANT(TYPE, BYTES)                                    \
  QEMBED_CUDA_EXPORT void _mlir_ciface_qembedDeviceConstant_##TYPE(             \
      MemRef2D *result, MemRef2D *source) {                                    \
    deviceConstant("qembedDeviceConstant_" #TYPE, result, source, BYTES);       \
  }
QEMBED_DEVICE_CONSTANT(i32, 4)
QEMBED_DEVICE_CONSTANT(f32, 4)
QEMBED_DEVICE_CONSTANT(f16, 2)
QEMBED_DEVICE_CONSTANT(bf16, 2)
QEMBED_DEVICE_CONSTANT(i8, 1)
QEMBED_DEVICE_CONSTANT(f8E4M3FN, 1)  // NVFP4 scales, as bytes
QEMBED_DEVICE_CONSTANT(f8E8M0FNU, 1) // MXFP4 scales, as bytes
#undef QEMBED_DEVICE_CONSTANT

} // extern "C"
