//===- CudaRuntimeTest.cpp - CUDA runtime without a driver ------*- C++ -*-===//
//
// libqembed_cuda_runtime.so on a machine without a usable CUDA driver (the
// tests point $QEMBED_CUDA_DRIVER at a missing library before the first
// call): every C API call returns QEMBED_CUDA_ERROR_NO_DRIVER with a
// message naming the library, the mgpu* calls record a sticky error instead
// of aborting, and invalid arguments are reported as such.
//
//===----------------------------------------------------------------------===//

#include "QEmbedCudaRuntime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

extern "C" {
void *mgpuModuleLoad(void *data, size_t size);
void *mgpuModuleGetFunction(void *module, const char *name);
void *mgpuStreamCreate();
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamDestroy(void *stream);
void mgpuModuleUnload(void *module);
}

namespace {

class NoDriver : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    // The driver is opened once per process, at the first call: this
    // suite's first test decides it for the whole binary.
    setenv("QEMBED_CUDA_DRIVER", "/nonexistent/libcuda.so.1", 1);
  }
};

TEST_F(NoDriver, CallsReportAMissingDriver) {
  EXPECT_EQ(qembedCudaInit(), QEMBED_CUDA_ERROR_NO_DRIVER);
  std::string message = qembedCudaLastError();
  EXPECT_NE(message.find("qembedCudaInit: no CUDA driver"), std::string::npos)
      << message;
  EXPECT_NE(message.find("/nonexistent/libcuda.so.1"), std::string::npos);
  EXPECT_EQ(qembedCudaLastErrorCode(), QEMBED_CUDA_ERROR_NO_DRIVER);

  int count = 7;
  EXPECT_EQ(qembedCudaDeviceCount(&count), QEMBED_CUDA_ERROR_NO_DRIVER);
  EXPECT_EQ(count, 7);
  EXPECT_NE(std::string(qembedCudaLastError()).find("qembedCudaDeviceCount"),
            std::string::npos);
  EXPECT_EQ(qembedCudaEnsureContext(0), QEMBED_CUDA_ERROR_NO_DRIVER);
  const char ptx[] = ".version 8.0\n.target sm_90\n";
  void *module = reinterpret_cast<void *>(1);
  EXPECT_EQ(qembedCudaModuleLoad(ptx, sizeof(ptx), &module),
            QEMBED_CUDA_ERROR_NO_DRIVER);
  qembedCudaClearError();
  EXPECT_EQ(qembedCudaLastErrorCode(), QEMBED_CUDA_SUCCESS);
  EXPECT_STREQ(qembedCudaLastError(), "");
}

TEST_F(NoDriver, InvalidArgumentsAreReported) {
  EXPECT_EQ(qembedCudaDeviceCount(nullptr), QEMBED_CUDA_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(qembedCudaModuleLoad("x", 0, nullptr),
            QEMBED_CUDA_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(qembedCudaLastError()).find("empty image"),
            std::string::npos);
  EXPECT_EQ(qembedCudaLaunch(nullptr, 1, 1, 1, 1, 1, 1, 0, nullptr, nullptr),
            QEMBED_CUDA_ERROR_INVALID_ARGUMENT);
}

TEST_F(NoDriver, MgpuCallsRecordAStickyError) {
  qembedCudaClearStickyError();
  EXPECT_EQ(qembedCudaStickyErrorCode(), QEMBED_CUDA_SUCCESS);
  char image[] = "not a module";
  void *module = mgpuModuleLoad(image, sizeof(image));
  EXPECT_EQ(module, nullptr);
  EXPECT_EQ(qembedCudaStickyErrorCode(), QEMBED_CUDA_ERROR_NO_DRIVER);
  std::string first = qembedCudaStickyError();
  EXPECT_NE(first.find("mgpuModuleLoad: no CUDA driver"), std::string::npos)
      << first;
  // Later calls do nothing (and do not crash); the first error stays.
  void *function = mgpuModuleGetFunction(module, "kernel");
  EXPECT_EQ(function, nullptr);
  void *stream = mgpuStreamCreate();
  mgpuLaunchKernel(function, 1, 1, 1, 32, 1, 1, 0, stream, nullptr, nullptr, 0);
  mgpuStreamSynchronize(stream);
  mgpuStreamDestroy(stream);
  mgpuModuleUnload(module);
  EXPECT_EQ(qembedCudaStickyError(), first);
  qembedCudaClearStickyError();
  EXPECT_EQ(qembedCudaStickyErrorCode(), QEMBED_CUDA_SUCCESS);
  EXPECT_STREQ(qembedCudaStickyError(), "");
}

} // namespace
