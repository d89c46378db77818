//===- StageBuffers.cpp - --qembed-gpu-stage-buffers ----------------------===//
//
// Gives the bufferized gathers of tensor-level functions (host buffers)
// device buffers: constant tables uploaded once through the runtime's
// qembedDeviceConstant_<type>, other inputs copied per call, the output
// copied back. --qembed-gpu-pipeline runs it between bufferization and
// --qembed-gather-to-gpu.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_QEMBEDGPUSTAGEBUFFERS
#define GEN_PASS_DEF_QEMBEDVERIFYLOWERED
#define GEN_PASS_DEF_QEMBEDCHECKGPUOPTIONS
#include "qembed/Conversion/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

/// True if `v` is read from a constant memref.global.
static bool isConstantGlobal(Value v, SymbolTableCollection &symbols) {
  auto get = v.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto global = symbols.lookupNearestSymbolFrom<memref::GlobalOp>(
      get, get.getNameAttr());
  return global && global.getConstant();
}

/// The runtime's name for constants of `element`: its type name (the
/// one-byte float scales, FP8 E4M3FN and E8M0, are uploaded as bytes; each
/// has its own function because a declaration carries the element type),
/// "" if the runtime has no upload for it.
static std::string uploadTypeName(Type element) {
  if (isa<Float8E4M3FNType>(element))
    return "f8E4M3FN";
  if (isa<Float8E8M0FNUType>(element))
    return "f8E8M0FNU";
  return elementTypeName(element);
}

/// The runtime's upload-once function for rank-2 buffers of `element`,
/// declared at the end of `module` on first use.
static func::FuncOp deviceConstantFunc(ModuleOp module, Type element) {
  std::string name = "qembedDeviceConstant_" + uploadTypeName(element);
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto type = MemRefType::get({ShapedType::kDynamic, ShapedType::kDynamic},
                              element);
  auto f = func::FuncOp::create(b, module.getLoc(), name,
                                b.getFunctionType({type}, {type}));
  f.setPrivate();
  // Called through its C interface: descriptors by pointer.
  f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), b.getUnitAttr());
  return f;
}

/// Stages one gather; returns failure (after an error) if it cannot.
static LogicalResult stage(BufferGatherOp op, SymbolTableCollection &symbols) {
  auto module = op->getParentOfType<ModuleOp>();
  for (Value v : op->getOperands())
    if (!cast<MemRefType>(v.getType()).getLayout().isIdentity())
      return op.emitOpError("GPU staging needs identity-layout buffers, got ")
             << v.getType();
  OpBuilder b(op);
  Location loc = op.getLoc();
  // Copies in run on one stream (a chain of async tokens, created by
  // `gpu.wait async` and waited for before the launch, which is blocking).
  Type tokenType = gpu::AsyncTokenType::get(b.getContext());
  Value token = gpu::WaitOp::create(b, loc, tokenType, ValueRange{})
                    .getAsyncToken();
  SmallVector<Value> temporaries;
  auto deviceCopy = [&](Value host, bool copyIn) -> Value {
    auto type = cast<MemRefType>(host.getType());
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        sizes.push_back(memref::DimOp::create(b, loc, host, d));
    auto alloc = gpu::AllocOp::create(b, loc, type, tokenType,
                                      ValueRange{token}, sizes, ValueRange{});
    token = alloc.getAsyncToken();
    if (copyIn)
      token = gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{token},
                                    alloc.getMemref(), host)
                  .getAsyncToken();
    temporaries.push_back(alloc.getMemref());
    return alloc.getMemref();
  };
  auto input = [&](Value host) -> Value {
    if (!host)
      return host;
    auto type = cast<MemRefType>(host.getType());
    // Constants the runtime can keep (rank 2, a type it uploads) are
    // uploaded once; other buffers are copied in at every call.
    if (!isConstantGlobal(host, symbols) || type.getRank() != 2 ||
        uploadTypeName(type.getElementType()).empty())
      return deviceCopy(host, /*copyIn=*/true);
    func::FuncOp upload = deviceConstantFunc(module, type.getElementType());
    Type dynamic = upload.getFunctionType().getInput(0);
    Value cast = memref::CastOp::create(b, loc, dynamic, host);
    Value device =
        func::CallOp::create(b, loc, upload, ValueRange{cast}).getResult(0);
    return memref::CastOp::create(b, loc, type, device);
  };

  Value packed = input(op.getPacked());
  Value scales = input(op.getScales());
  Value zps = input(op.getZeroPoints());
  Value ids = input(op.getIds());
  Value hostOut = op.getOut();
  Value out = deviceCopy(hostOut, /*copyIn=*/false);
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
  op.getPackedMutable().assign(packed);
  op.getScalesMutable().assign(scales);
  if (zps)
    op.getZeroPointsMutable().assign(zps);
  op.getIdsMutable().assign(ids);
  op.getOutMutable().assign(out);
  op->removeAttr(kHostBuffersAttrName);

  // After the gather: the rows back to the host, the temporaries freed.
  b.setInsertionPointAfter(op);
  token = gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
  token = gpu::MemcpyOp::create(b, loc, tokenType, ValueRange{token}, hostOut,
                                out)
              .getAsyncToken();
  for (Value t : temporaries)
    token = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{token}, t)
                .getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
  return success();
}

namespace {
struct QEmbedGPUStageBuffersPass
    : mlir::qembed::impl::QEmbedGPUStageBuffersBase<
          QEmbedGPUStageBuffersPass> {
  void runOnOperation() override {
    SmallVector<BufferGatherOp> gathers;
    getOperation().walk([&](BufferGatherOp op) {
      if (op->hasAttr(kHostBuffersAttrName))
        gathers.push_back(op);
    });
    SymbolTableCollection symbols;
    for (BufferGatherOp op : gathers)
      if (failed(stage(op, symbols)))
        return signalPassFailure();
  }
};

struct QEmbedVerifyLoweredPass
    : mlir::qembed::impl::QEmbedVerifyLoweredBase<QEmbedVerifyLoweredPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    WalkResult result = module.walk([&](Operation *op) {
      Dialect *dialect = op->getDialect();
      // gpu.launch_func stays: the translation to LLVM IR turns it into
      // the runtime calls that load and launch the gpu.binary's kernel.
      auto llvmOperands = [](Operation *o) {
        return llvm::all_of(o->getOperandTypes(), [](Type t) {
          return LLVM::isCompatibleType(t);
        });
      };
      if (op == module.getOperation() || isa<gpu::BinaryOp>(op) ||
          (isa<gpu::LaunchFuncOp>(op) && llvmOperands(op)) ||
          (dialect && isa<LLVM::LLVMDialect>(dialect)) ||
          // OpenMP ops on LLVM values (--qembed-cpu-pipeline parallel=true):
          // the translation to LLVM IR outlines them into runtime calls.
          (dialect && isa<omp::OpenMPDialect>(dialect) && llvmOperands(op)))
        return WalkResult::advance();
      op->emitError("the pipeline could not lower '")
          << op->getName() << "': no lowering placed it on the host or the GPU";
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

struct QEmbedCheckGPUOptionsPass
    : mlir::qembed::impl::QEmbedCheckGPUOptionsBase<
          QEmbedCheckGPUOptionsPass> {
  using Base::Base;

  void runOnOperation() override {
    std::string why = checkNVVMChip(chip);
    if (why.empty() && format != "isa" && format != "bin" &&
        format != "fatbin")
      why = "format must be isa, bin or fatbin, got '" + format + "'";
    if (why.empty() &&
        (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0))
      why = "block-size must be a multiple of 32 in 32..1024, got " +
            std::to_string(blockSize);
    if (why.empty() && (unroll < 1 || unroll > 16))
      why = "unroll must be in 1..16, got " + std::to_string(unroll);
    if (!why.empty()) {
      getOperation().emitError("--qembed-gpu-pipeline: ") << why;
      signalPassFailure();
    }
    // EmbeddingBag ops have no kernel here: say so before bufferization
    // fails on them with a generic message.
    getOperation()->walk([&](Operation *op) {
      if (!isa<GatherBagsOp, LookupBagsOp>(op))
        return;
      op->emitError("--qembed-gpu-pipeline has no GPU lowering of '")
          << op->getName()
          << "'; run --qembed-cpu-pipeline, or --qembed-to-iree / "
             "--qembed-to-linalg and compile with IREE";
      signalPassFailure();
    });
    // Codebook VQ gathers have no NVVM kernel: an error here, before
    // bufferization, rather than a half-lowered module.
    getOperation()->walk([&](CodebookGatherOp op) {
      op.emitOpError("has no --qembed-gpu-pipeline lowering (codebook VQ "
                     "runs on the CPU pipeline or through --qembed-to-linalg)");
      signalPassFailure();
    });
  }
};
} // namespace
