//===- QEmbedToGPU.cpp - --qembed-gather-to-gpu ---------------------------===//
//
// Lowers qembed.buffer_gather to a gpu.func kernel plus its gpu.launch_func.
// One thread dequantizes a chunk of 32 consecutive codes of one output row:
// `bits` packed words in, 32 values out, with vector loads and stores.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
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

namespace {
/// Builds the kernel body for one buffer_gather's operand types and scheme.
///
/// Work is split in slices: the codes of 16 bytes of output (8 f16/bf16 or 4
/// f32 values). Consecutive threads take consecutive slices of a row, so a
/// warp's loads of packed words and its 16-byte stores are contiguous.
struct KernelBuilder {
  SchemeAttr scheme;
  int64_t cols; // D
  Type outType; // element type of the output
  bool hasZeroPoints;

  int64_t sliceCodes() const {
    return 16 / (outType.getIntOrFloatBitWidth() / 8);
  }
  int64_t slicesPerRow() const { return cols / sliceCodes(); }

  /// What one slice needs from memory.
  struct SliceInputs {
    Value tok, col0;
    SmallVector<Value> words;       // packed words holding the codes
    Value shift;                    // i32 bit offset in words[0] (unaligned)
    SmallVector<Value> scales, zps; // one per group the slice touches
  };

  /// Emits the loads of slice `slice` of output row `tok`.
  SliceInputs loadSlice(OpBuilder &b, Location loc, Value packed, Value scales,
                        Value zps, Value ids, Value tok, Value slice,
                        Value rows) const {
    unsigned bits = scheme.getBits();
    int64_t codes = sliceCodes();
    Value id = memref::LoadOp::create(b, loc, ids, ValueRange{tok});
    Value row = clampRowIndex(b, loc, id, rows);
    Value col0 =
        arith::MulIOp::create(b, loc, slice, constIndex(b, loc, codes));

    // The slice's codes occupy bits [firstBit, firstBit + codes*bits) of the
    // row. Load the words holding them; `shift` is the slice's offset in the
    // first word.
    int64_t sliceBits = codes * bits;
    int64_t wordsPerRow = scheme.getWordsPerRow(cols);
    bool aligned = sliceBits % 32 == 0;
    SmallVector<Value> words;
    Value shift; // i32 bit offset of the slice in words[0]
    if (aligned) {
      // 8 codes of 4 bits = 1 word, of 8 bits = 2 words: one vector load.
      int64_t n = sliceBits / 32;
      Value first = arith::MulIOp::create(b, loc, slice, constIndex(b, loc, n));
      auto type = VectorType::get({n}, b.getI32Type());
      auto load =
          vector::LoadOp::create(b, loc, type, packed, ValueRange{row, first});
      load.setAlignment(uint64_t(std::min<int64_t>(4 * n, 16)));
      for (int64_t w = 0; w < n; ++w)
        words.push_back(vector::ExtractOp::create(b, loc, load.getResult(),
                                                  ArrayRef<int64_t>{w}));
    } else if (32 % sliceBits == 0) {
      // Several slices per word (8 codes of 2 bits = half a word): one word,
      // shifted by the slice's position in it.
      int64_t perWord = 32 / sliceBits;
      Value first =
          arith::DivUIOp::create(b, loc, slice, constIndex(b, loc, perWord));
      Value pos =
          arith::RemUIOp::create(b, loc, slice, constIndex(b, loc, perWord));
      shift = arith::MulIOp::create(
          b, loc, arith::IndexCastUIOp::create(b, loc, b.getI32Type(), pos),
          constI32(b, loc, sliceBits));
      Value word =
          memref::LoadOp::create(b, loc, packed, ValueRange{row, first});
      words.push_back(arith::ShRUIOp::create(b, loc, word, shift));
    } else {
      // Straddling slices: load every word the slice can touch
      // (clamped to the row) and shift by the slice's bit offset.
      Value firstBit =
          arith::MulIOp::create(b, loc, slice, constIndex(b, loc, sliceBits));
      Value first =
          arith::DivUIOp::create(b, loc, firstBit, constIndex(b, loc, 32));
      shift = arith::IndexCastUIOp::create(
          b, loc, b.getI32Type(),
          arith::RemUIOp::create(b, loc, firstBit, constIndex(b, loc, 32)));
      int64_t n = (31 + sliceBits + 31) / 32; // worst-case word span
      for (int64_t w = 0; w < n; ++w) {
        Value idx = arith::AddIOp::create(b, loc, first, constIndex(b, loc, w));
        idx = arith::MinUIOp::create(b, loc, idx,
                                     constIndex(b, loc, wordsPerRow - 1));
        words.push_back(
            memref::LoadOp::create(b, loc, packed, ValueRange{row, idx}));
      }
    }

    // Scales (and zero points): one load per group the slice touches.
    int64_t group = scheme.getEffectiveGroupSize(cols);
    int64_t codesPerScale = std::min<int64_t>(group, codes);
    SmallVector<Value> sliceScales, sliceZps;
    for (int64_t j = 0; j < codes; j += codesPerScale) {
      Value g = constIndex(b, loc, 0);
      if (scheme.getGroupSize() != 0)
        g = arith::DivUIOp::create(
            b, loc, arith::AddIOp::create(b, loc, col0, constIndex(b, loc, j)),
            constIndex(b, loc, group));
      sliceScales.push_back(
          memref::LoadOp::create(b, loc, scales, ValueRange{row, g}));
      if (hasZeroPoints)
        sliceZps.push_back(
            memref::LoadOp::create(b, loc, zps, ValueRange{row, g}));
    }

    return SliceInputs{tok, col0, words, shift, sliceScales, sliceZps};
  }

  /// Emits the decoding and the 16-byte store of a loaded slice.
  void storeSlice(OpBuilder &b, Location loc, const SliceInputs &in,
                  Value out) const {
    unsigned bits = scheme.getBits();
    int64_t codes = sliceCodes();
    bool aligned = (codes * bits) % 32 == 0;
    int64_t codesPerScale =
        std::min<int64_t>(scheme.getEffectiveGroupSize(cols), codes);
    ArrayRef<Value> words = in.words;
    Value shift = in.shift, col0 = in.col0, tok = in.tok;
    ArrayRef<Value> sliceScales = in.scales, sliceZps = in.zps;
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    SmallVector<Value> values;
    for (int64_t j = 0; j < codes; ++j) {
      Value code;
      if (aligned || 32 % (codes * bits) == 0) {
        // Constant position: word j*bits/32, offset j*bits%32 (sub-word
        // slices were shifted into place when loaded).
        int64_t bit = j * bits, w = bit / 32, off = bit % 32;
        code = arith::ShRUIOp::create(b, loc, words[w], constI32(b, loc, off));
      } else {
        // bit = shift + j*bits: pick words[w], words[w+1] and funnel them.
        Value bit =
            arith::AddIOp::create(b, loc, shift, constI32(b, loc, j * bits));
        Value w = arith::ShRUIOp::create(b, loc, bit, constI32(b, loc, 5));
        Value off = arith::AndIOp::create(b, loc, bit, constI32(b, loc, 31));
        // A code in the last loaded word does not straddle: its `hi` is
        // never used, so the last word stands in for it.
        int64_t n = words.size();
        Value lo = words[0], hi = words[1];
        for (int64_t k = 1; k < n; ++k) {
          Value isK = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, w,
                                            constI32(b, loc, k));
          lo = arith::SelectOp::create(b, loc, isK, words[k], lo);
          hi = arith::SelectOp::create(b, loc, isK,
                                       words[std::min(k + 1, n - 1)], hi);
        }
        Value both = arith::OrIOp::create(
            b, loc, arith::ExtUIOp::create(b, loc, i64, lo),
            arith::ShLIOp::create(
                b, loc, arith::ExtUIOp::create(b, loc, i64, hi),
                arith::ConstantIntOp::create(b, loc, 32, 64)));
        code = arith::TruncIOp::create(
            b, loc, i32,
            arith::ShRUIOp::create(b, loc, both,
                                   arith::ExtUIOp::create(b, loc, i64, off)));
      }
      Value u = arith::AndIOp::create(b, loc, code,
                                      constI32(b, loc, (1 << bits) - 1));
      int64_t s = j / codesPerScale;
      values.push_back(emitDequantCode(b, loc, u, bits, sliceScales[s],
                                       hasZeroPoints ? sliceZps[s] : Value(),
                                       outType));
    }

    // One 16-byte store.
    Value vec = vector::FromElementsOp::create(
        b, loc, VectorType::get({codes}, outType), values);
    auto store =
        vector::StoreOp::create(b, loc, vec, out, ValueRange{tok, col0});
    store.setAlignment(uint64_t(16));
  }
};
} // namespace

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
    Value bid = gpu::BlockIdOp::create(fb, loc, gpu::Dimension::x);
    Value bdim = gpu::BlockDimOp::create(fb, loc, gpu::Dimension::x);
    Value tid = gpu::ThreadIdOp::create(fb, loc, gpu::Dimension::x);
    Value gdim = gpu::GridDimOp::create(fb, loc, gpu::Dimension::x);
    Value start = arith::AddIOp::create(
        fb, loc, arith::MulIOp::create(fb, loc, bid, bdim), tid);
    Value step = arith::MulIOp::create(fb, loc, gdim, bdim);
    KernelBuilder kernel{op.getScheme(), cols, outType.getElementType(),
                         bool(zps)};
    Value slices = constIndex(fb, loc, kernel.slicesPerRow());
    Value total = arith::MulIOp::create(fb, loc, tokens, slices);
    Value rows = memref::DimOp::create(fb, loc, packed, 0);
    // Each iteration handles `unroll` slices `step` apart (so a warp's
    // accesses stay contiguous) and issues all their loads before any
    // store: more bytes in flight per thread. Slices past the end are
    // clamped to the last one, which is then written again with the same
    // values: no branch in the loop body.
    Value last = arith::SubIOp::create(fb, loc, total, constIndex(fb, loc, 1));
    Value bigStep =
        arith::MulIOp::create(fb, loc, step, constIndex(fb, loc, unroll));
    scf::ForOp::create(
        fb, loc, start, total, bigStep, ValueRange{},
        [&](OpBuilder &lb, Location l, Value i, ValueRange) {
          SmallVector<KernelBuilder::SliceInputs> inputs;
          for (int64_t k = 0; k < unroll; ++k) {
            Value idx = i;
            if (k > 0)
              idx = arith::MinUIOp::create(
                  lb, l,
                  arith::AddIOp::create(
                      lb, l, i,
                      arith::MulIOp::create(lb, l, step, constIndex(lb, l, k))),
                  last);
            Value tok = arith::DivUIOp::create(lb, l, idx, slices);
            Value slice = arith::RemUIOp::create(lb, l, idx, slices);
            inputs.push_back(kernel.loadSlice(lb, l, packed, scales, zps, kIds,
                                              tok, slice, rows));
          }
          for (const auto &in : inputs)
            kernel.storeSlice(lb, l, in, kOut);
          scf::YieldOp::create(lb, l);
        });
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
    if (blockSize <= 0 || maxBlocks <= 0 || unroll <= 0) {
      module.emitError("block-size, max-blocks and unroll must be positive");
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
