//===- GPUKernels.cpp - Python binding of the gather kernel JIT -----------===//
//
// `_qembed.gpu_gather_kernel(...)`: qembed's GPU gather kernel for one
// scheme / row length / dtype / chip, built and lowered through NVVM to PTX
// in-process (compileGatherKernel). qembed.torch loads the PTX with the
// CUDA runtime library and launches it with the bare-pointer ABI described
// in include/qembed/Conversion/QEmbedToGPU/GatherKernel.h.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

namespace nb = nanobind;
using namespace nb::literals;

namespace {
nb::dict gpuGatherKernel(unsigned bits, int64_t groupSize, bool symmetric,
                         const std::string &scaleType,
                         const std::string &outType, int64_t cols,
                         const std::string &idType, const std::string &chip,
                         int64_t blockSize, int64_t unroll,
                         const std::string &format, float globalScale) {
  if (idType != "i32" && idType != "i64")
    throw nb::value_error(("id_type must be 'i32' or 'i64', got '" + idType +
                           "'")
                              .c_str());
  mlir::qembed::GatherKernelSpec spec;
  spec.bits = bits;
  spec.groupSize = groupSize;
  spec.symmetric = symmetric;
  spec.scaleType = scaleType;
  spec.outType = outType;
  spec.idBits = idType == "i32" ? 32 : 64;
  spec.cols = cols;
  spec.blockSize = blockSize;
  spec.unroll = unroll;
  spec.format = format;
  spec.globalScale = globalScale;
  mlir::qembed::CompiledGatherKernel kernel;
  std::string error;
  bool ok;
  {
    // Compilation touches no Python object: let other threads run.
    nb::gil_scoped_release release;
    ok = mlir::qembed::compileGatherKernel(spec, chip, kernel, error);
  }
  if (!ok)
    throw nb::value_error(error.c_str());
  nb::dict result;
  result["ptx"] = kernel.ptx;
  result["name"] = kernel.name;
  result["block_size"] = blockSize;
  result["unroll"] = unroll;
  result["slices_per_row"] = kernel.slicesPerRow;
  return result;
}
} // namespace

/// Adds gpu_gather_kernel to the extension module.
void bindGPUKernels(nb::module_ &m) {
  m.def("gpu_gather_kernel", &gpuGatherKernel, "bits"_a, "group_size"_a,
        "symmetric"_a, "scale_type"_a, "out_type"_a, "cols"_a, "id_type"_a,
        "chip"_a = "sm_90", "block_size"_a = 256, "unroll"_a = 2,
        "format"_a = "int", "global_scale"_a = 1.0f,
        "qembed's fused gather kernel for one scheme as PTX (a dict: ptx, "
        "name, block_size, unroll, slices_per_row). format fp8 / nvfp4 / "
        "mxfp4 takes scale_type = the table's / f8E4M3FN / f8E8M0FNU; "
        "nvfp4's global_scale is part of the kernel.");
}
