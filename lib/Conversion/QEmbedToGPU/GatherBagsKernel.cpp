//===- GatherBagsKernel.cpp - qembed.gather_bags GPU kernel generator -----===//
//
// Builds the bare-pointer kernel of qembed.gather_bags (see
// GatherBagsKernel.h) and lowers it to PTX in a private context. The
// dequantization of a code is DequantUtils' emitDequantCode, shared with
// the gather kernel and the linalg lowering.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/GatherBagsKernel.h"
#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
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
#include "llvm/Support/FormatVariadic.h"

#include <climits>

using namespace mlir;
using namespace mlir::qembed;

std::string
mlir::qembed::checkGatherBagsKernelSpec(const GatherBagsKernelSpec &spec) {
  if (spec.bits < 2 || spec.bits > 8)
    return "bits must be in [2, 8]";
  for (StringRef t : {StringRef(spec.scaleType), StringRef(spec.outType)})
    if (t != "f32" && t != "f16" && t != "bf16")
      return "scale and output types must be f32, f16 or bf16, got '" +
             t.str() + "'";
  if ((spec.idBits != 32 && spec.idBits != 64) ||
      (spec.offsetBits != 32 && spec.offsetBits != 64))
    return "ids and offsets must be i32 or i64";
  if (spec.cols <= 0 || spec.cols > INT32_MAX)
    return "the row length must be in [1, 2^31)";
  if (spec.groupSize < 0 || (spec.groupSize && spec.cols % spec.groupSize))
    return "group_size must be 0 or divide the row length";
  if (spec.blockSize < 32 || spec.blockSize > 1024 || spec.blockSize % 32)
    return "block size must be a multiple of 32 in 32..1024";
  return "";
}

int64_t
mlir::qembed::gatherBagsKernelUnitElements(const GatherBagsKernelSpec &spec) {
  int64_t codes = gatherSliceCodes(spec.outType == "f32" ? 32 : 16);
  return spec.cols % codes == 0 ? codes : 1;
}

std::string
mlir::qembed::gatherBagsKernelName(const GatherBagsKernelSpec &spec) {
  return llvm::formatv("qembed_gather_bags_{0}_w{1}_g{2}_{3}_{4}_{5}_i{6}_o{7}"
                       "_d{8}_b{9}",
                       spec.mean ? "mean" : "sum", spec.bits, spec.groupSize,
                       spec.symmetric ? "sym" : "asym", spec.scaleType,
                       spec.outType, spec.idBits, spec.offsetBits, spec.cols,
                       spec.blockSize)
             .str() +
         (spec.includeLastOffset ? "_ilo" : "");
}

static Type floatTypeNamed(MLIRContext *ctx, StringRef name) {
  if (name == "f32")
    return Float32Type::get(ctx);
  if (name == "f16")
    return Float16Type::get(ctx);
  return BFloat16Type::get(ctx);
}

/// A scalar load with the element type's natural alignment.
static Value load(OpBuilder &b, Location loc, Value memref,
                  ValueRange indices) {
  Type element = cast<MemRefType>(memref.getType()).getElementType();
  return memref::LoadOp::create(
      b, loc, memref, indices, /*nontemporal=*/false,
      llvm::MaybeAlign(std::max(1u, element.getIntOrFloatBitWidth() / 8)));
}

/// The dequantized element (row, col) of the packed table, converted to
/// `outType` (the arithmetic of qembed.gather).
static Value dequantElement(OpBuilder &b, Location loc, SchemeAttr scheme,
                            int64_t cols, Value packed, Value scales, Value zps,
                            Value row, Value col, Type outType) {
  unsigned bits = scheme.getBits();
  Type i32 = b.getI32Type(), i64 = b.getI64Type();
  Value code;
  if (32 % bits == 0) {
    int64_t perWord = 32 / bits;
    Value w = arith::DivUIOp::create(b, loc, col, constIndex(b, loc, perWord));
    Value slot =
        arith::RemUIOp::create(b, loc, col, constIndex(b, loc, perWord));
    Value shift = arith::MulIOp::create(
        b, loc, arith::IndexCastUIOp::create(b, loc, i32, slot),
        constI32(b, loc, bits));
    code =
        arith::ShRUIOp::create(b, loc, load(b, loc, packed, {row, w}), shift);
  } else {
    // A code may straddle two words: read both as one i64.
    Value bit = arith::MulIOp::create(b, loc, col, constIndex(b, loc, bits));
    Value w = arith::DivUIOp::create(b, loc, bit, constIndex(b, loc, 32));
    Value shift = arith::IndexCastUIOp::create(
        b, loc, i64,
        arith::RemUIOp::create(b, loc, bit, constIndex(b, loc, 32)));
    Value w1 = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, w, constIndex(b, loc, 1)),
        constIndex(b, loc, scheme.getWordsPerRow(cols) - 1));
    Value lo =
        arith::ExtUIOp::create(b, loc, i64, load(b, loc, packed, {row, w}));
    Value hi =
        arith::ExtUIOp::create(b, loc, i64, load(b, loc, packed, {row, w1}));
    Value both = arith::OrIOp::create(
        b, loc, lo,
        arith::ShLIOp::create(b, loc, hi,
                              arith::ConstantIntOp::create(b, loc, 32, 64)));
    code = arith::TruncIOp::create(b, loc, i32,
                                   arith::ShRUIOp::create(b, loc, both, shift));
  }
  Value u =
      arith::AndIOp::create(b, loc, code, constI32(b, loc, (1 << bits) - 1));
  Value group = constIndex(b, loc, 0);
  if (scheme.getGroupSize() != 0)
    group = arith::DivUIOp::create(b, loc, col,
                                   constIndex(b, loc, scheme.getGroupSize()));
  Value zp = zps ? load(b, loc, zps, {row, group}) : Value();
  Value scale = load(b, loc, scales, {row, group});
  return emitDequantCode(b, loc, u, bits, scale, zp, outType);
}

/// Builds the kernel as a gpu.func named `name` in `kernels`.
static void buildKernel(OpBuilder &b, Location loc, gpu::GPUModuleOp kernels,
                        StringRef name, const GatherBagsKernelSpec &spec) {
  MLIRContext *ctx = b.getContext();
  Type scaleType = floatTypeNamed(ctx, spec.scaleType);
  Type outType = floatTypeNamed(ctx, spec.outType);
  auto scheme = SchemeAttr::get(ctx, spec.bits, spec.groupSize, spec.symmetric,
                                scaleType);
  // Bare pointers need static shapes: leading extents are the largest i32
  // (the bound of the sizes passed); only trailing extents address.
  constexpr int64_t kMax = INT32_MAX;
  SmallVector<Type> buffers = packedTableArgTypes(b, scheme, spec.cols);
  buffers.push_back(MemRefType::get({kMax}, b.getIntegerType(spec.idBits)));
  buffers.push_back(MemRefType::get({kMax}, b.getIntegerType(spec.offsetBits)));
  buffers.push_back(MemRefType::get({kMax, spec.cols}, outType));
  auto func = createBarePointerKernel(b, loc, kernels, name, buffers,
                                      /*numScalars=*/3, spec.blockSize);

  Block &body = func.getBody().front();
  OpBuilder fb = OpBuilder::atBlockBegin(&body);
  ValueRange fa = body.getArguments();
  unsigned n = 2;
  Value packed = fa[0], scales = fa[1];
  Value zps = spec.symmetric ? Value() : fa[n++];
  Value ids = fa[n++], offsets = fa[n++], out = fa[n++];
  Type index = fb.getIndexType();
  Value numIds = arith::IndexCastUIOp::create(fb, loc, index, fa[n++]);
  Value numBags = arith::IndexCastUIOp::create(fb, loc, index, fa[n++]);
  Value rows = arith::IndexCastUIOp::create(fb, loc, index, fa[n++]);

  Value bid = gpu::BlockIdOp::create(fb, loc, gpu::Dimension::x);
  Value bdim = gpu::BlockDimOp::create(fb, loc, gpu::Dimension::x);
  Value tid = gpu::ThreadIdOp::create(fb, loc, gpu::Dimension::x);
  Value gdim = gpu::GridDimOp::create(fb, loc, gpu::Dimension::x);
  Value start = arith::AddIOp::create(
      fb, loc, arith::MulIOp::create(fb, loc, bid, bdim), tid);
  Value step = arith::MulIOp::create(fb, loc, gdim, bdim);
  // A thread per (bag, unit): a unit is a 16-byte output slice when rows
  // split into them (the gather kernel's slices: one word and scale load
  // serve all its codes), else a single element.
  int64_t perUnit = gatherBagsKernelUnitElements(spec);
  Value unitsV = constIndex(fb, loc, spec.cols / perUnit);
  Value total = arith::MulIOp::create(fb, loc, numBags, unitsV);
  Value zero = constIndex(fb, loc, 0), one = constIndex(fb, loc, 1);
  Type f32 = fb.getF32Type();
  scf::ForOp::create(
      fb, loc, start, total, step, ValueRange{},
      [&](OpBuilder &b, Location l, Value e, ValueRange) {
        Value bag = arith::DivUIOp::create(b, l, e, unitsV);
        Value unit = arith::RemUIOp::create(b, l, e, unitsV);
        auto clampPos = [&](Value offset) -> Value {
          Value p = arith::IndexCastOp::create(b, l, index, offset);
          p = arith::MaxSIOp::create(b, l, p, zero);
          return arith::MinSIOp::create(b, l, p, numIds);
        };
        Value begin = clampPos(load(b, l, offsets, {bag}));
        Value next = arith::AddIOp::create(b, l, bag, one);
        Value end;
        if (spec.includeLastOffset) {
          end = clampPos(load(b, l, offsets, {next}));
        } else {
          Value isLast = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                               next, numBags);
          Value nextIndex = arith::SelectOp::create(b, l, isLast, bag, next);
          Value nextOffset = clampPos(load(b, l, offsets, {nextIndex}));
          end = arith::SelectOp::create(b, l, isLast, numIds, nextOffset);
        }
        end = arith::MaxSIOp::create(b, l, end, begin);
        Value acc0 = arith::ConstantFloatOp::create(b, l, cast<FloatType>(f32),
                                                    APFloat(0.0f));
        // The unit's values of each id, rounded to the output type, added
        // in bag order in f32.
        auto loop = scf::ForOp::create(
            b, l, begin, end, one, SmallVector<Value>(perUnit, acc0),
            [&](OpBuilder &ib, Location il, Value i, ValueRange iter) {
              Value row = clampRowIndex(ib, il, load(ib, il, ids, {i}), rows);
              SmallVector<Value> values;
              if (perUnit > 1)
                values = emitDequantRowSlice(ib, il, scheme, spec.cols, outType,
                                             packed, scales, zps, row, unit);
              else
                values.push_back(dequantElement(ib, il, scheme, spec.cols,
                                                packed, scales, zps, row, unit,
                                                outType));
              SmallVector<Value> sums;
              for (int64_t k = 0; k < perUnit; ++k)
                sums.push_back(arith::AddFOp::create(
                    ib, il, iter[k], convertFloat(ib, il, values[k], f32)));
              scf::YieldOp::create(ib, il, sums);
            });
        Value count = arith::SubIOp::create(b, l, end, begin);
        Value countF = arith::UIToFPOp::create(
            b, l, f32,
            arith::IndexCastUIOp::create(b, l, b.getI64Type(), count));
        Value nonEmpty =
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::ne, count, zero);
        SmallVector<Value> results;
        for (Value acc : loop.getResults()) {
          Value sum = convertFloat(b, l, acc, outType);
          if (spec.mean) {
            Value mean = arith::DivFOp::create(
                b, l, convertFloat(b, l, sum, f32), countF);
            sum = arith::SelectOp::create(
                b, l, nonEmpty, convertFloat(b, l, mean, outType), sum);
          }
          results.push_back(sum);
        }
        Value col0 =
            arith::MulIOp::create(b, l, unit, constIndex(b, l, perUnit));
        if (perUnit == 1) {
          memref::StoreOp::create(b, l, results[0], out, ValueRange{bag, col0});
        } else {
          Value vec = vector::FromElementsOp::create(
              b, l, VectorType::get({perUnit}, outType), results);
          auto store =
              vector::StoreOp::create(b, l, vec, out, ValueRange{bag, col0});
          store.setAlignment(uint64_t(16));
        }
        scf::YieldOp::create(b, l);
      });
  gpu::ReturnOp::create(fb, loc);
}

bool mlir::qembed::compileGatherBagsKernel(const GatherBagsKernelSpec &spec,
                                           StringRef chip, std::string &ptx,
                                           std::string &error) {
  error = checkGatherBagsKernelSpec(spec);
  if (error.empty())
    error = checkNVVMChip(chip);
  if (!error.empty())
    return false;
  return compileKernelToPTX(
      chip, "qembed_kernels", "bag kernel",
      [&](OpBuilder &b, Location loc, gpu::GPUModuleOp kernels) {
        buildKernel(b, loc, kernels, gatherBagsKernelName(spec), spec);
      },
      ptx, error);
}
