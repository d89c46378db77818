//===- GPUKernels.cpp - Python binding of the gather kernel JIT -----------===//
//
// `_qembed.gpu_gather_kernel(...)`: qembed's GPU gather kernel for one
// scheme / row length / dtype / chip, built and lowered through NVVM to PTX
// in-process (compileGatherKernel); `_qembed.gpu_gather_bags_kernel(...)`
// the same for the EmbeddingBag kernel (compileGatherBagsKernel). qembed.torch loads the PTX with the
// CUDA runtime library and launches it with the bare-pointer ABI described
// in include/qembed/Conversion/QEmbedToGPU/GatherKernel.h.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/GatherBagsKernel.h"
#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

namespace nb = nanobind;
using namespace nb::literals;

namespace {
/// The bits of an id / offset type name ("i32" / "i64"), or a ValueError.
unsigned indexBits(const char *what, const std::string &type) {
  if (type != "i32" && type != "i64")
    throw nb::value_error(
        (std::string(what) + " must be 'i32' or 'i64', got '" + type + "'")
            .c_str());
  return type == "i32" ? 32 : 64;
}

nb::dict gpuGatherKernel(unsigned bits, int64_t groupSize, bool symmetric,
                         const std::string &scaleType,
                         const std::string &outType, int64_t cols,
                         const std::string &idType, const std::string &chip,
                         int64_t blockSize, int64_t unroll,
                         const std::string &format, float globalScale) {
  mlir::qembed::GatherKernelSpec spec;
  spec.bits = bits;
  spec.groupSize = groupSize;
  spec.symmetric = symmetric;
  spec.scaleType = scaleType;
  spec.outType = outType;
  spec.idBits = indexBits("id_type", idType);
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


nb::dict gpuGatherBagsKernel(unsigned bits, int64_t groupSize, bool symmetric,
                             const std::string &scaleType,
                             const std::string &outType, int64_t cols,
                             const std::string &idType,
                             const std::string &offsetType,
                             const std::string &mode,
                             bool includeLastOffset, const std::string &chip,
                             int64_t blockSize) {
  if (mode != "sum" && mode != "mean")
    throw nb::value_error(
        ("mode must be 'sum' or 'mean', got '" + mode + "'").c_str());
  mlir::qembed::GatherBagsKernelSpec spec;
  spec.bits = bits;
  spec.groupSize = groupSize;
  spec.symmetric = symmetric;
  spec.scaleType = scaleType;
  spec.outType = outType;
  spec.idBits = indexBits("id_type", idType);
  spec.offsetBits = indexBits("offset_type", offsetType);
  spec.cols = cols;
  spec.mean = mode == "mean";
  spec.includeLastOffset = includeLastOffset;
  spec.blockSize = blockSize;
  std::string ptx, error;
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = mlir::qembed::compileGatherBagsKernel(spec, chip, ptx, error);
  }
  if (!ok)
    throw nb::value_error(error.c_str());
  nb::dict result;
  result["ptx"] = ptx;
  result["name"] = mlir::qembed::gatherBagsKernelName(spec);
  result["block_size"] = blockSize;
  result["unit_elements"] = mlir::qembed::gatherBagsKernelUnitElements(spec);
  return result;
}
} // namespace

/// Adds gpu_gather_kernel and gpu_gather_bags_kernel to the extension module.
void bindGPUKernels(nb::module_ &m) {
  m.def("gpu_gather_kernel", &gpuGatherKernel, "bits"_a, "group_size"_a,
        "symmetric"_a, "scale_type"_a, "out_type"_a, "cols"_a, "id_type"_a,
        "chip"_a = "sm_90", "block_size"_a = 256, "unroll"_a = 2,
        "format"_a = "int", "global_scale"_a = 1.0f,
        "qembed's fused gather kernel for one scheme as PTX (a dict: ptx, "
        "name, block_size, unroll, slices_per_row). format fp8 / nvfp4 / "
        "mxfp4 takes scale_type = the table's / f8E4M3FN / f8E8M0FNU; "
        "nvfp4's global_scale is part of the kernel.");
  m.def("gpu_gather_bags_kernel", &gpuGatherBagsKernel, "bits"_a,
        "group_size"_a, "symmetric"_a, "scale_type"_a, "out_type"_a, "cols"_a,
        "id_type"_a, "offset_type"_a, "mode"_a,
        "include_last_offset"_a = false, "chip"_a = "sm_90",
        "block_size"_a = 256,
        "qembed's EmbeddingBag kernel (sum or mean of the dequantized rows of "
        "each bag, f32 accumulation in bag order) as PTX (a dict: ptx, name, "
        "block_size, unit_elements: output columns per thread); parameters: packed, scales, [zero_points], ids, "
        "offsets, out, i32 ids, i32 bags, i32 rows. With include_last_offset "
        "offsets has bags + 1 entries and the last ends the last bag.");
}
