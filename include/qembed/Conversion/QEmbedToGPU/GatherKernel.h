//===- GatherKernel.h - qembed's fused gather kernel generator --*- C++ -*-===//
//
// The one generator of qembed's GPU gather kernel. Two ABIs share its body:
//
// - the memref ABI of --qembed-gather-to-gpu (gpu.launch_func from MLIR host
//   code, memref descriptors), and
// - the bare-pointer ABI that hand-written callers use: IREE's custom
//   dispatches (--qembed-to-iree) and qembed.torch. Its parameters are
//     packed (i32*), scales (scale*), [zero_points (i8*)], ids (i32/i64*),
//     out (out*), i32 tokens, i32 rows
//   i.e. IREE's CUDA ABI: the bindings in order as non-aliasing pointers,
//   then the i32 push constants. Launch with
//     grid.x = ceil(tokens * slicesPerRow / (blockSize * unroll))
//   and blockDim.x = blockSize; nothing to launch for 0 tokens. `out` and
//   `packed` must be 16-byte aligned. Ids are clamped into [0, rows).
//
// compileGatherKernel builds the bare-pointer kernel in a private MLIR
// context and lowers it through NVVM to PTX in-process.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_CONVERSION_QEMBEDTOGPU_GATHERKERNEL_H
#define QEMBED_CONVERSION_QEMBEDTOGPU_GATHERKERNEL_H

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"

#include <string>

namespace mlir::qembed {

/// What a gather kernel is specialised for, as plain values (no MLIR
/// context needed).
struct GatherKernelSpec {
  unsigned bits = 4;
  int64_t groupSize = 64; ///< 0 = one scale per row.
  bool symmetric = true;
  std::string scaleType = "f16"; ///< f16, bf16 or f32.
  std::string outType = "f16";   ///< f16, bf16 or f32.
  unsigned idBits = 64;          ///< 32 or 64 (signless ids).
  int64_t cols = 0;              ///< Row length D.
  int64_t blockSize = 256;       ///< Threads per block.
  int64_t unroll = 2;            ///< Slices per thread and iteration.
  /// Code format: "int", or "fp8" (scaleType = the table's f16/bf16/f32),
  /// "nvfp4" (scaleType "f8E4M3FN", with globalScale), "mxfp4" (scaleType
  /// "f8E8M0FNU"); a float format fixes bits, groupSize and symmetric.
  std::string format = "int";
  float globalScale = 1.0f; ///< nvfp4's global scale (part of the kernel).
};

/// The short name of an element type as kernel names and the runtime's
/// entry points spell it: f32, f16, bf16, i<N> ("" for other types).
std::string elementTypeName(Type type);

/// Returns "" if the kernel generator supports `spec`, else why not.
std::string checkGatherKernelSpec(const GatherKernelSpec &spec);

/// Returns "" if `chip` is an NVIDIA target qembed can emit PTX for, else
/// why not (listing the supported chips).
std::string checkNVVMChip(llvm::StringRef chip);

/// The LLVM NVPTX features (PTX ISA version) qembed emits for `chip`;
/// empty when checkNVVMChip rejects it.
std::string nvvmFeaturesForChip(llvm::StringRef chip);

/// Codes per slice: the codes of 16 bytes of output.
int64_t gatherSliceCodes(unsigned outBits);

/// Slices per output row (cols / gatherSliceCodes).
int64_t gatherSlicesPerRow(const GatherKernelSpec &spec);

/// A kernel lowered to PTX.
struct CompiledGatherKernel {
  std::string ptx;  ///< PTX text (NUL-free).
  std::string name; ///< The kernel's symbol.
  int64_t slicesPerRow = 0;
};

/// Builds one kernel with `build` (which adds it to the given gpu.module)
/// in a private MLIRContext and lowers it with upstream's NVVM pipeline to
/// PTX for `chip` (bare-pointer calling convention). `what` names the kernel
/// in the error ("lowering the <what> to PTX failed: ..."). The gather, bag
/// and codebook kernel compilers share it.
bool compileKernelToPTX(
    llvm::StringRef chip, llvm::StringRef moduleName, llvm::StringRef what,
    llvm::function_ref<void(OpBuilder &, Location, gpu::GPUModuleOp)> build,
    std::string &ptx, std::string &error);

/// Creates the bare-pointer kernel `name` at the end of `kernels`: the
/// buffers (`numBuffers` memrefs; the last one is the output) come first,
/// then `numScalars` i32 sizes; `workgroup` memrefs are its workgroup
/// attributions. The buffers never alias (IREE guarantees it for bindings;
/// qembed.torch allocates the output) and all but the output are
/// read-only, so loads may take the read-only path (ld.global.nc).
gpu::GPUFuncOp createBarePointerKernel(OpBuilder &b, Location loc,
                                       gpu::GPUModuleOp kernels,
                                       llvm::StringRef name,
                                       ArrayRef<Type> buffers,
                                       unsigned numScalars, int64_t blockSize,
                                       ArrayRef<Type> workgroup = {});

/// The memref types of a packed table's buffers as the bare-pointer kernels
/// take them: packed words [rows x words] i32, scales [rows x groups], and
/// for asymmetric schemes i8 zero points [rows x groups]. The row extent is
/// the largest i32 (static shapes; only the row layout addresses).
SmallVector<Type> packedTableArgTypes(OpBuilder &b, SchemeAttr scheme,
                                      int64_t cols);

/// Builds the bare-pointer kernel for `spec` and lowers it to PTX for
/// `chip` (e.g. "sm_90"). On failure returns false with `error` set.
bool compileGatherKernel(const GatherKernelSpec &spec, llvm::StringRef chip,
                         CompiledGatherKernel &result, std::string &error);

/// The kernel's symbol for `spec` (stable; encodes every parameter).
std::string gatherKernelName(const GatherKernelSpec &spec);

/// Builds the bare-pointer-ABI kernel for `spec` as a gpu.func named `name`
/// at the end of `kernels`. The spec must pass checkGatherKernelSpec.
gpu::GPUFuncOp buildBarePointerGatherKernel(OpBuilder &b, Location loc,
                                            gpu::GPUModuleOp kernels,
                                            llvm::StringRef name,
                                            const GatherKernelSpec &spec);

/// Emits the kernel body shared by both ABIs at `b`'s insertion point of a
/// gpu.func: memrefs `packed` [rows x words], `scales`, `zps` (or null),
/// `ids` [tokens], `out` [tokens x cols]; `tokens` and `rows` are index
/// values.
void emitGatherKernelBody(OpBuilder &b, Location loc, SchemeAttr scheme,
                          int64_t cols, Type outType, Value packed,
                          Value scales, Value zps, Value ids, Value out,
                          Value tokens, Value rows, int64_t unroll);

/// Emits the loads and the decoding of slice `slice` (the codes of 16
/// output bytes, gatherSliceCodes) of table row `row` (an in-range index),
/// exactly as the gather kernel does: the slice's values in `outType`. For
/// kernels built from the gather's slices (the bag kernel); `cols` must be
/// a multiple of the slice size.
SmallVector<Value> emitDequantRowSlice(OpBuilder &b, Location loc,
                                       SchemeAttr scheme, int64_t cols,
                                       Type outType, Value packed,
                                       Value scales, Value zps, Value row,
                                       Value slice);

} // namespace mlir::qembed

#endif // QEMBED_CONVERSION_QEMBEDTOGPU_GATHERKERNEL_H
