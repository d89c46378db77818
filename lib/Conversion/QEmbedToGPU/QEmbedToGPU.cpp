//===- QEmbedToGPU.cpp - --qembed-gather-to-gpu ---------------------------===//
//
// Lowers qembed.buffer_gather to a gpu.func kernel (memref ABI; the body
// comes from GatherKernel.cpp) plus its gpu.launch_func.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

namespace mlir::qembed {
#define GEN_PASS_DEF_CONVERTQEMBEDGATHERTOGPU
#include "qembed/Conversion/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

/// Collapses all leading dimensions of an identity-layout memref into one.
static Value collapseLeading(OpBuilder &b, Location loc, Value memref,
                             int64_t keepTrailing) {
  auto type = cast<MemRefType>(memref.getType());
  int64_t rank = type.getRank();
  if (rank == 1 + keepTrailing)
    return memref;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t i = 0; i < rank - keepTrailing; ++i)
    groups[0].push_back(i);
  for (int64_t i = rank - keepTrailing; i < rank; ++i)
    groups.push_back({i});
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

/// Creates the kernel for `op` in `kernels` and replaces `op` with a launch.
static LogicalResult lowerToLaunch(BufferGatherOp op, gpu::GPUModuleOp kernels,
                                   SymbolTable &symbols, int64_t blockSize,
                                   int64_t maxBlocks, int64_t unroll) {
  MemRefType outType = op.getOut().getType();
  int64_t cols = outType.getShape().back();
  int64_t sliceCodes = 16 / (outType.getElementTypeBitWidth() / 8);
  if (cols % sliceCodes != 0)
    return op.emitOpError("GPU lowering needs a row length that is a "
                          "multiple of ")
           << sliceCodes << " (16 bytes of output), got " << cols;
  for (Value v : {op.getIds(), op.getOut()})
    if (!cast<MemRefType>(v.getType()).getLayout().isIdentity())
      return op.emitOpError("GPU lowering needs identity-layout ids and "
                            "output buffers");
  if (outType.getRank() < 1 || op.getIds().getType().getRank() < 1)
    return op.emitOpError("GPU lowering needs ids of rank >= 1");

  Location loc = op.getLoc();
  OpBuilder b(op);
  // Flatten ids to [tokens] and the output to [tokens, D].
  Value ids = collapseLeading(b, loc, op.getIds(), 0);
  Value out = collapseLeading(b, loc, op.getOut(), 1);

  SmallVector<Value> args = {op.getPacked(), op.getScales()};
  if (op.getZeroPoints())
    args.push_back(op.getZeroPoints());
  args.append({ids, out});
  SmallVector<Type> argTypes = llvm::to_vector(ValueRange(args).getTypes());
  argTypes.push_back(b.getIndexType());

  // The kernel.
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto func = gpu::GPUFuncOp::create(kb, loc, "gather",
                                     kb.getFunctionType(argTypes, {}));
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  func.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({int32_t(blockSize), 1, 1}));
  symbols.insert(func);
  {
    Block &body = func.getBody().front();
    OpBuilder fb = OpBuilder::atBlockBegin(&body);
    ValueRange fa = body.getArguments();
    Value packed = fa[0], scales = fa[1];
    unsigned n = 2;
    Value zps = op.getZeroPoints() ? fa[n++] : Value();
    Value kIds = fa[n++], kOut = fa[n++], tokens = fa[n++];
    Value rows = memref::DimOp::create(fb, loc, packed, 0);
    emitGatherKernelBody(fb, loc, op.getScheme(), cols,
                         outType.getElementType(), packed, scales, zps, kIds,
                         kOut, tokens, rows, unroll);
    gpu::ReturnOp::create(fb, loc);
  }

  // The launch: a grid-stride grid of at most maxBlocks blocks; nothing to
  // launch for zero tokens.
  Value tokens = memref::DimOp::create(b, loc, ids, 0);
  Value total = arith::MulIOp::create(b, loc, tokens,
                                      constIndex(b, loc, cols / sliceCodes));
  Value zero = constIndex(b, loc, 0);
  Value any =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, total, zero);
  scf::IfOp::create(b, loc, any, [&](OpBuilder &tb, Location l) {
    Value bs = constIndex(tb, l, blockSize);
    Value blocks = arith::CeilDivUIOp::create(
        tb, l, total, constIndex(tb, l, blockSize * unroll));
    blocks =
        arith::MinUIOp::create(tb, l, blocks, constIndex(tb, l, maxBlocks));
    Value one = constIndex(tb, l, 1);
    SmallVector<Value> launchArgs(args);
    launchArgs.push_back(tokens);
    gpu::LaunchFuncOp::create(tb, l, func, gpu::KernelDim3{blocks, one, one},
                              gpu::KernelDim3{bs, one, one},
                              /*dynamicSharedMemorySize=*/Value(), launchArgs);
    scf::YieldOp::create(tb, l);
  });
  op.erase();
  return success();
}

namespace {
struct ConvertQEmbedGatherToGPUPass
    : mlir::qembed::impl::ConvertQEmbedGatherToGPUBase<
          ConvertQEmbedGatherToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // Bounded so that the unrolled body and blockSize * unroll stay small.
    if (blockSize < 1 || blockSize > 1024 || maxBlocks < 1 || unroll < 1 ||
        unroll > 16) {
      module.emitError("--qembed-gather-to-gpu: block-size must be in "
                       "1..1024, max-blocks positive and unroll in 1..16");
      return signalPassFailure();
    }
    SmallVector<BufferGatherOp> gathers;
    module.walk([&](BufferGatherOp op) { gathers.push_back(op); });
    if (gathers.empty())
      return;
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(&getContext()));
    SymbolTable moduleSymbols(module);
    auto kernels = dyn_cast_or_null<gpu::GPUModuleOp>(
        moduleSymbols.lookup("qembed_kernels"));
    if (!kernels) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernels = gpu::GPUModuleOp::create(b, module.getLoc(), "qembed_kernels");
      moduleSymbols.insert(kernels);
    }
    SymbolTable kernelSymbols(kernels);
    for (BufferGatherOp op : gathers)
      if (failed(lowerToLaunch(op, kernels, kernelSymbols, blockSize, maxBlocks,
                               unroll)))
        return signalPassFailure();
  }
};
} // namespace
