//===- CodebookKernel.cpp - GPU gather kernel of codebook VQ --------------===//
//
// Builds qembed's codebook VQ gather kernel (see CodebookKernel.h) as a
// gpu.func with the bare-pointer ABI and lowers it to PTX with upstream's
// NVVM pipeline, in a private context (like compileGatherKernel).
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/CodebookKernel.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"

#include <climits>

using namespace mlir;
using namespace mlir::qembed;

/// Largest codebook (bytes) staged in shared memory: the static limit.
static constexpr int64_t kMaxSharedBytes = 48 * 1024;

static bool isFloatName(StringRef n) {
  return n == "f16" || n == "bf16" || n == "f32";
}

static Type floatTypeNamed(MLIRContext *ctx, StringRef name) {
  if (name == "f32")
    return Float32Type::get(ctx);
  if (name == "bf16")
    return BFloat16Type::get(ctx);
  return Float16Type::get(ctx);
}

static int64_t codebookElements(const CodebookKernelSpec &s) {
  return s.groups * int64_t(s.stages) * s.entries * s.dim;
}

std::string mlir::qembed::checkCodebookKernelSpec(const CodebookKernelSpec &s) {
  if (s.dim < 1 || s.dim > 64)
    return "dim must be in [1, 64]";
  if (s.entries < 2 || s.entries > 65536 ||
      !llvm::has_single_bit(uint64_t(s.entries)))
    return "entries must be a power of two in [2, 65536]";
  if (s.stages < 1 || s.stages > 8)
    return "stages must be in [1, 8]";
  if (s.groups < 1)
    return "groups must be >= 1";
  if (s.cols <= 0 || s.cols % s.dim != 0 || (s.cols / s.dim) % s.groups != 0)
    return "cols must be a positive multiple of dim * groups";
  if (!isFloatName(s.scaleType) || !isFloatName(s.codebookType) ||
      !isFloatName(s.outType))
    return "scale, codebook and output types must be f16, bf16 or f32";
  if (s.idBits != 32 && s.idBits != 64)
    return "ids must be i32 or i64";
  if (s.blockSize < 32 || s.blockSize > 1024 || s.blockSize % 32 != 0)
    return "block size must be a multiple of 32 in 32..1024";
  if (codebookElements(s) > INT32_MAX || s.cols > INT32_MAX)
    return "codebooks or rows too large";
  return "";
}

std::string mlir::qembed::codebookKernelName(const CodebookKernelSpec &s) {
  return llvm::formatv("qembed_vq_gather_d{0}_k{1}_s{2}_g{3}_{4}_{5}_{6}_"
                       "i{7}_c{8}_b{9}",
                       s.dim, s.entries, s.stages, s.groups, s.scaleType,
                       s.codebookType, s.outType, s.idBits, s.cols, s.blockSize)
      .str();
}

bool mlir::qembed::codebookKernelUsesSharedMemory(const CodebookKernelSpec &s) {
  int64_t bytes = s.codebookType == "f32" ? 4 : 2;
  return codebookElements(s) * bytes <= kMaxSharedBytes;
}

/// A scalar load with the element's natural alignment (callers guarantee
/// it; without it, 8-byte ids are read as two 4-byte halves).
static Value loadAligned(OpBuilder &b, Location loc, Value memref,
                         ValueRange indices) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  return memref::LoadOp::create(
      b, loc, memref, indices, /*nontemporal=*/false,
      llvm::MaybeAlign(std::max(1u, element.getIntOrFloatBitWidth() / 8)));
}

/// Builds the kernel at the end of `kernels`.
static void buildCodebookKernel(OpBuilder &b, Location loc,
                                gpu::GPUModuleOp kernels, StringRef name,
                                const CodebookKernelSpec &s) {
  MLIRContext *ctx = b.getContext();
  Type scaleType = floatTypeNamed(ctx, s.scaleType);
  Type bookType = floatTypeNamed(ctx, s.codebookType);
  Type outType = floatTypeNamed(ctx, s.outType);
  Type f32 = b.getF32Type(), i32 = b.getI32Type(), i64 = b.getI64Type();
  unsigned bits = llvm::countr_zero(uint64_t(s.entries));
  int64_t codes = s.cols / s.dim * s.stages;
  int64_t words = (codes * bits + 31) / 32;
  int64_t entriesAll = s.groups * int64_t(s.stages) * s.entries;
  int64_t vpg = s.cols / s.dim / s.groups;
  bool shared = codebookKernelUsesSharedMemory(s);
  // Bare pointers need static shapes: leading extents are the i32 bound.
  constexpr int64_t kMax = INT32_MAX;
  SmallVector<Type> argTypes = {
      MemRefType::get({kMax, words}, i32),
      MemRefType::get({kMax, 1}, scaleType),
      MemRefType::get({entriesAll, int64_t(s.dim)}, bookType),
      MemRefType::get({kMax}, b.getIntegerType(s.idBits)),
      MemRefType::get({kMax, s.cols}, outType),
      i32,
      i32};
  SmallVector<Type> workgroup;
  if (shared)
    workgroup.push_back(MemRefType::get(
        {entriesAll * s.dim}, bookType, AffineMap(),
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)));

  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  auto func = gpu::GPUFuncOp::create(
      kb, loc, name, kb.getFunctionType(argTypes, {}), workgroup);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), kb.getUnitAttr());
  func.setKnownBlockSizeAttr(
      kb.getDenseI32ArrayAttr({int32_t(s.blockSize), 1, 1}));
  for (unsigned i = 0; i < 5; ++i) {
    func.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                    kb.getUnitAttr());
    if (i < 4)
      func.setArgAttr(i, LLVM::LLVMDialect::getReadonlyAttrName(),
                      kb.getUnitAttr());
  }

  Block &body = func.getBody().front();
  OpBuilder fb = OpBuilder::atBlockBegin(&body);
  ValueRange a = body.getArguments();
  Value codesM = a[0], scalesM = a[1], booksM = a[2], idsM = a[3], outM = a[4];
  Type idx = fb.getIndexType();
  Value tokens = arith::IndexCastUIOp::create(fb, loc, idx, a[5]);
  Value rows = arith::IndexCastUIOp::create(fb, loc, idx, a[6]);
  auto cst = [&](OpBuilder &ob, int64_t v) { return constIndex(ob, loc, v); };
  Value tid = gpu::ThreadIdOp::create(fb, loc, gpu::Dimension::x);
  Value bid = gpu::BlockIdOp::create(fb, loc, gpu::Dimension::x);
  Value gdim = gpu::GridDimOp::create(fb, loc, gpu::Dimension::x);
  Value bs = cst(fb, s.blockSize);
  Value dimC = cst(fb, s.dim);

  Value smem;
  if (shared) {
    smem = func.getWorkgroupAttributions()[0];
    // Stage the codebooks: consecutive threads copy consecutive elements.
    scf::ForOp::create(
        fb, loc, tid, cst(fb, entriesAll * s.dim), bs, ValueRange{},
        [&](OpBuilder &lb, Location l, Value i, ValueRange) {
          Value e = arith::DivUIOp::create(lb, l, i, dimC);
          Value j = arith::RemUIOp::create(lb, l, i, dimC);
          Value v = memref::LoadOp::create(lb, l, booksM, ValueRange{e, j});
          memref::StoreOp::create(lb, l, v, smem, ValueRange{i});
          scf::YieldOp::create(lb, l);
        });
    gpu::BarrierOp::create(fb, loc);
  }

  // One vector (its `dim` output elements) per thread and iteration:
  // consecutive threads take consecutive vectors of a row, so code loads and
  // output stores of a warp are contiguous.
  int64_t vpr = s.cols / s.dim;
  Value vprC = cst(fb, vpr);
  Value total = arith::MulIOp::create(fb, loc, tokens, vprC);
  Value start = arith::AddIOp::create(
      fb, loc, arith::MulIOp::create(fb, loc, bid, bs), tid);
  Value step = arith::MulIOp::create(fb, loc, gdim, bs);
  scf::ForOp::create(
      fb, loc, start, total, step, ValueRange{},
      [&](OpBuilder &lb, Location l, Value e, ValueRange) {
        Value t = arith::DivUIOp::create(lb, l, e, vprC);
        Value v = arith::RemUIOp::create(lb, l, e, vprC);
        Value id = loadAligned(lb, l, idsM, ValueRange{t});
        Value row = clampRowIndex(lb, l, id, rows);
        Value g = arith::DivUIOp::create(lb, l, v, cst(lb, vpg));
        Value first = arith::MulIOp::create(lb, l, v, cst(lb, s.stages));
        SmallVector<Value> acc(s.dim);
        for (unsigned st = 0; st < s.stages; ++st) {
          Value index = arith::AddIOp::create(lb, l, first, cst(lb, st));
          Value bit = arith::MulIOp::create(lb, l, index, cst(lb, bits));
          Value w = arith::DivUIOp::create(lb, l, bit, cst(lb, 32));
          Value off = arith::RemUIOp::create(lb, l, bit, cst(lb, 32));
          Value code;
          Value lo = loadAligned(lb, l, codesM, ValueRange{row, w});
          if (32 % bits == 0) {
            code = arith::ShRUIOp::create(
                lb, l, lo, arith::IndexCastUIOp::create(lb, l, i32, off));
          } else {
            Value w1 = arith::MinUIOp::create(
                lb, l, arith::AddIOp::create(lb, l, w, cst(lb, 1)),
                cst(lb, words - 1));
            Value hi = loadAligned(lb, l, codesM, ValueRange{row, w1});
            Value both = arith::OrIOp::create(
                lb, l, arith::ExtUIOp::create(lb, l, i64, lo),
                arith::ShLIOp::create(
                    lb, l, arith::ExtUIOp::create(lb, l, i64, hi),
                    arith::ConstantIntOp::create(lb, l, 32, 64)));
            code = arith::TruncIOp::create(
                lb, l, i32,
                arith::ShRUIOp::create(
                    lb, l, both,
                    arith::IndexCastUIOp::create(lb, l, i64, off)));
          }
          Value k = arith::IndexCastUIOp::create(
              lb, l, idx,
              arith::AndIOp::create(lb, l, code,
                                    constI32(lb, l, (int64_t(1) << bits) - 1)));
          // Entry (g, st, k): row (g * stages + st) * entries + k.
          Value entry = arith::AddIOp::create(
              lb, l,
              arith::MulIOp::create(
                  lb, l,
                  arith::AddIOp::create(
                      lb, l, arith::MulIOp::create(lb, l, g, cst(lb, s.stages)),
                      cst(lb, st)),
                  cst(lb, s.entries)),
              k);
          Value base;
          if (shared)
            base = arith::MulIOp::create(lb, l, entry, dimC);
          for (unsigned j = 0; j < s.dim; ++j) {
            Value x =
                shared
                    ? memref::LoadOp::create(lb, l, smem,
                                             ValueRange{arith::AddIOp::create(
                                                 lb, l, base, cst(lb, j))})
                          .getResult()
                    : memref::LoadOp::create(lb, l, booksM,
                                             ValueRange{entry, cst(lb, j)})
                          .getResult();
            Value x32 = convertFloat(lb, l, x, f32);
            acc[j] = st == 0 ? x32 : arith::AddFOp::create(lb, l, acc[j], x32);
          }
        }
        Value scale = convertFloat(
            lb, l,
            memref::LoadOp::create(lb, l, scalesM, ValueRange{row, cst(lb, 0)}),
            f32);
        // The vector's outputs as aligned vector stores of up to 16 bytes:
        // its first column v * dim is a multiple of dim, so a chunk whose
        // size divides dim * element bytes is aligned to its size.
        Value col0 = arith::MulIOp::create(lb, l, v, dimC);
        int64_t eltBytes = outType.getIntOrFloatBitWidth() / 8;
        int64_t chunk = 1; // elements per store
        while (chunk * 2 * eltBytes <= 16 && s.dim % (chunk * 2) == 0)
          chunk *= 2;
        for (unsigned j0 = 0; j0 < s.dim; j0 += chunk) {
          SmallVector<Value> parts;
          for (unsigned j = j0; j < j0 + chunk; ++j)
            parts.push_back(convertFloat(
                lb, l, arith::MulFOp::create(lb, l, scale, acc[j]), outType));
          Value col = arith::AddIOp::create(lb, l, col0, cst(lb, j0));
          Value vec = vector::FromElementsOp::create(
              lb, l, VectorType::get({chunk}, outType), parts);
          vector::StoreOp::create(lb, l, vec, outM, ValueRange{t, col},
                                  /*nontemporal=*/false,
                                  llvm::MaybeAlign(chunk * eltBytes));
        }
        scf::YieldOp::create(lb, l);
      });
  gpu::ReturnOp::create(fb, loc);
}

bool mlir::qembed::compileCodebookKernel(const CodebookKernelSpec &spec,
                                         StringRef chip,
                                         CompiledGatherKernel &result,
                                         std::string &error) {
  error = checkCodebookKernelSpec(spec);
  if (error.empty())
    error = checkNVVMChip(chip);
  if (!error.empty())
    return false;
  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllGPUToLLVMIRTranslations(registry);
  registry.insert<QEmbedDialect>();
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  std::string diagnostics;
  llvm::raw_string_ostream os(diagnostics);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error)
      os << diag << "\n";
    return success();
  });
  Location loc = UnknownLoc::get(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  (*module)->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                     UnitAttr::get(&context));
  OpBuilder b = OpBuilder::atBlockEnd(module->getBody());
  auto kernels = gpu::GPUModuleOp::create(b, loc, "qembed_vq_kernels");
  result.name = codebookKernelName(spec);
  result.slicesPerRow = 0;
  buildCodebookKernel(b, loc, kernels, result.name, spec);

  PassManager pm(&context);
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = chip.str();
  nvvm.cubinFeatures = nvvmFeaturesForChip(chip);
  nvvm.cubinFormat = "isa";
  nvvm.optLevel = 3;
  nvvm.kernelUseBarePtrCallConv = true;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  if (failed(pm.run(*module))) {
    error = "lowering the codebook gather kernel to PTX failed: " + diagnostics;
    return false;
  }
  gpu::BinaryOp binary;
  module->walk([&](gpu::BinaryOp op) { binary = op; });
  if (!binary || binary.getObjects().size() != 1) {
    error = "the NVVM pipeline produced no PTX object";
    return false;
  }
  result.ptx = cast<gpu::ObjectAttr>(binary.getObjects()[0]).getObject().str();
  return true;
}
