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
#include <numeric>

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
  if (s.blockSize != 0 &&
      (s.blockSize < 32 || s.blockSize > 1024 || s.blockSize % 32 != 0))
    return "block size must be a multiple of 32 in 32..1024 (0: the "
           "generator's choice)";
  if (codebookElements(s) > INT32_MAX || s.cols > INT32_MAX)
    return "codebooks or rows too large";
  if (s.unroll < 0 || s.unroll > 8)
    return "unroll must be in 0..8 (0: the generator's choice)";
  return "";
}

std::string mlir::qembed::codebookKernelName(const CodebookKernelSpec &s) {
  return llvm::formatv("qembed_vq_gather_d{0}_k{1}_s{2}_g{3}_{4}_{5}_{6}_"
                       "i{7}_c{8}_b{9}",
                       s.dim, s.entries, s.stages, s.groups, s.scaleType,
                       s.codebookType, s.outType, s.idBits, s.cols, s.blockSize)
             .str() +
         (s.unroll ? llvm::formatv("_u{0}", s.unroll).str() : std::string());
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

int64_t mlir::qembed::codebookKernelChunkVectors(const CodebookKernelSpec &s) {
  if (!checkCodebookKernelSpec(s).empty())
    return 0;
  int64_t bits = llvm::countr_zero(uint64_t(s.entries));
  int64_t perVector = bits * s.stages;
  int64_t eltBytes = s.outType == "f32" ? 4 : 2;
  int64_t vpg = s.cols / s.dim / s.groups;
  // At least 16 output bytes per chunk (one coalesced 16-byte store per
  // thread), doubled until the chunk's codes fill whole words or a whole
  // fraction of a word.
  int64_t c = 1;
  while (c * s.dim * eltBytes < 16)
    c *= 2;
  auto fits = [&](int64_t n) {
    return (n * perVector) % 32 == 0 || 32 % (n * perVector) == 0;
  };
  while (!fits(c) && c * s.dim <= 64)
    c *= 2;
  if (!fits(c) || c * s.dim > 64 || vpg % c != 0 || c * perVector / 32 > 8)
    return 0;
  return c;
}

int64_t mlir::qembed::codebookKernelUnroll(const CodebookKernelSpec &s) {
  return s.unroll ? s.unroll : 2;
}

/// What the packed path loads for one chunk before computing it.
struct ChunkInputs {
  Value index;              ///< Unclamped chunk index (the store's guard).
  Value tok, q;             ///< Token and chunk within the row.
  SmallVector<Value> words; ///< The chunk's code words (i32).
  Value scale;              ///< The row's scale, f32.
};

/// The packed path: each thread takes `unroll` chunks of `c` vectors per
/// grid-stride iteration (chunks `step` apart, so a warp's code loads and
/// stores stay contiguous), issues all their loads (id, code words, scale)
/// first, then extracts the codes with constant shifts, sums the stages'
/// entries in f32 in stage order, scales and stores (the reference
/// arithmetic). Chunks past the end load the last chunk's inputs and skip
/// their stores.
static void emitPackedLoop(OpBuilder &fb, Location loc,
                           const CodebookKernelSpec &s, int64_t c,
                           int64_t unroll, Value start, Value step,
                           Value tokens, Value rows, Value codesM,
                           Value scalesM, Value booksM, Value smem, Value idsM,
                           Value outM, Type outType) {
  Type f32 = fb.getF32Type();
  Type idx = fb.getIndexType();
  auto cst = [&](OpBuilder &ob, int64_t v) { return constIndex(ob, loc, v); };
  int64_t bits = llvm::countr_zero(uint64_t(s.entries));
  int64_t perVector = bits * s.stages;
  // Whole words per chunk, or chunks per word (sub-word chunks: the codes
  // start at a multiple of c * perVector bits in their word).
  int64_t chunkBits = c * perVector;
  int64_t wordsPerChunk = std::max<int64_t>(1, chunkBits / 32);
  int64_t chunksPerWord = chunkBits < 32 ? 32 / chunkBits : 1;
  int64_t chunksPerRow = s.cols / s.dim / c;
  int64_t chunksPerGroup = s.cols / s.dim / s.groups / c;
  Value cprC = cst(fb, chunksPerRow);
  Value empty = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, rows,
                                      cst(fb, 0));
  Value total = arith::SelectOp::create(
      fb, loc, empty, cst(fb, 0), arith::MulIOp::create(fb, loc, tokens, cprC));
  Value last = arith::SubIOp::create(fb, loc, total, cst(fb, 1));
  Value bigStep = arith::MulIOp::create(fb, loc, step, cst(fb, unroll));
  Type bookType = cast<MemRefType>(booksM.getType()).getElementType();
  int64_t bookBytes = bookType.getIntOrFloatBitWidth() / 8;
  int64_t eltBytes = outType.getIntOrFloatBitWidth() / 8;

  scf::ForOp::create(
      fb, loc, start, total, bigStep, ValueRange{},
      [&](OpBuilder &lb, Location l, Value i, ValueRange) {
        SmallVector<ChunkInputs> chunks;
        for (int64_t k = 0; k < unroll; ++k) {
          ChunkInputs in;
          in.index = i;
          if (k > 0)
            in.index = arith::AddIOp::create(
                lb, l, i, arith::MulIOp::create(lb, l, step, cst(lb, k)));
          Value at = k > 0 ? arith::MinUIOp::create(lb, l, in.index, last) : i;
          in.tok = arith::DivUIOp::create(lb, l, at, cprC);
          in.q = arith::RemUIOp::create(lb, l, at, cprC);
          Value row = clampRowIndex(
              lb, l, loadAligned(lb, l, idsM, ValueRange{in.tok}), rows);
          Value w0 =
              chunksPerWord > 1
                  ? arith::DivUIOp::create(lb, l, in.q, cst(lb, chunksPerWord))
                        .getResult()
                  : arith::MulIOp::create(lb, l, in.q, cst(lb, wordsPerChunk))
                        .getResult();
          for (int64_t w = 0; w < wordsPerChunk; ++w)
            in.words.push_back(loadAligned(
                lb, l, codesM,
                ValueRange{
                    row,
                    w ? arith::AddIOp::create(lb, l, w0, cst(lb, w)).getResult()
                      : w0}));
          if (chunksPerWord > 1) {
            // The chunk's codes to the word's low bits (one run-time shift).
            Value sub =
                arith::RemUIOp::create(lb, l, in.q, cst(lb, chunksPerWord));
            Value off = arith::IndexCastUIOp::create(
                lb, l, lb.getI32Type(),
                arith::MulIOp::create(lb, l, sub, cst(lb, chunkBits)));
            in.words[0] = arith::ShRUIOp::create(lb, l, in.words[0], off);
          }
          in.scale =
              convertFloat(lb, l,
                           memref::LoadOp::create(lb, l, scalesM,
                                                  ValueRange{row, cst(lb, 0)}),
                           f32);
          chunks.push_back(std::move(in));
        }
        for (int64_t k = 0; k < unroll; ++k) {
          const ChunkInputs &in = chunks[k];
          OpBuilder sb = lb;
          if (k > 0) {
            Value inRange = arith::CmpIOp::create(
                lb, l, arith::CmpIPredicate::ult, in.index, total);
            auto ifOp = scf::IfOp::create(lb, l, inRange, /*withElse=*/false);
            sb = ifOp.getThenBodyBuilder();
          }
          Value g =
              arith::DivUIOp::create(sb, l, in.q, cst(sb, chunksPerGroup));
          SmallVector<Value> outs;
          for (int64_t v = 0; v < c; ++v) {
            SmallVector<Value> acc(s.dim);
            for (unsigned st = 0; st < s.stages; ++st) {
              int64_t bit = (v * s.stages + st) * bits;
              int64_t w = bit / 32, off = bit % 32;
              Value code = in.words[w];
              if (off)
                code =
                    arith::ShRUIOp::create(sb, l, code, constI32(sb, l, off));
              if (off + bits > 32)
                code = arith::OrIOp::create(
                    sb, l, code,
                    arith::ShLIOp::create(sb, l, in.words[w + 1],
                                          constI32(sb, l, 32 - off)));
              if (chunksPerWord > 1 || off + bits != 32)
                code = arith::AndIOp::create(
                    sb, l, code, constI32(sb, l, (int64_t(1) << bits) - 1));
              Value kIdx = arith::IndexCastUIOp::create(sb, l, idx, code);
              // Entry (g, st, k): row (g * stages + st) * entries + k.
              Value entry = arith::AddIOp::create(
                  sb, l,
                  arith::MulIOp::create(
                      sb, l,
                      arith::AddIOp::create(
                          sb, l,
                          arith::MulIOp::create(sb, l, g, cst(sb, s.stages)),
                          cst(sb, st)),
                      cst(sb, s.entries)),
                  kIdx);
              SmallVector<Value> xs;
              if (smem) {
                // The entry as vector loads of up to 16 bytes (the staged
                // codebook is aligned to 16 bytes and entries start at
                // multiples of dim elements).
                Value base =
                    arith::MulIOp::create(sb, l, entry, cst(sb, s.dim));
                int64_t piece = 1;
                while (piece * 2 * bookBytes <= 16 && s.dim % (piece * 2) == 0)
                  piece *= 2;
                for (int64_t j0 = 0; j0 < s.dim; j0 += piece) {
                  Value vec = vector::LoadOp::create(
                      sb, l, VectorType::get({piece}, bookType), smem,
                      ValueRange{
                          arith::AddIOp::create(sb, l, base, cst(sb, j0))},
                      /*nontemporal=*/false,
                      llvm::MaybeAlign(piece * bookBytes));
                  for (int64_t j = 0; j < piece; ++j)
                    xs.push_back(
                        vector::ExtractOp::create(sb, l, vec, j).getResult());
                }
              } else {
                for (int64_t j = 0; j < s.dim; ++j)
                  xs.push_back(memref::LoadOp::create(
                      sb, l, booksM, ValueRange{entry, cst(sb, j)}));
              }
              for (int64_t j = 0; j < s.dim; ++j) {
                Value x32 = convertFloat(sb, l, xs[j], f32);
                acc[j] =
                    st == 0 ? x32 : arith::AddFOp::create(sb, l, acc[j], x32);
              }
            }
            for (int64_t j = 0; j < s.dim; ++j)
              outs.push_back(convertFloat(
                  sb, l, arith::MulFOp::create(sb, l, in.scale, acc[j]),
                  outType));
          }
          // c * dim outputs from column q * c * dim, 16-byte stores where
          // the chunk allows (its byte size is a multiple of the store).
          int64_t n = c * s.dim;
          int64_t piece = 1;
          while (piece * 2 * eltBytes <= 16 && n % (piece * 2) == 0)
            piece *= 2;
          Value col0 = arith::MulIOp::create(sb, l, in.q, cst(sb, n));
          for (int64_t j0 = 0; j0 < n; j0 += piece) {
            Value vec = vector::FromElementsOp::create(
                sb, l, VectorType::get({piece}, outType),
                ArrayRef<Value>(outs).slice(j0, piece));
            Value col =
                j0 ? arith::AddIOp::create(sb, l, col0, cst(sb, j0)).getResult()
                   : col0;
            vector::StoreOp::create(sb, l, vec, outM, ValueRange{in.tok, col},
                                    /*nontemporal=*/false,
                                    llvm::MaybeAlign(piece * eltBytes));
          }
        }
        scf::YieldOp::create(lb, l);
      });
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
  SmallVector<Type> buffers = {
      MemRefType::get({kMax, words}, i32),
      MemRefType::get({kMax, 1}, scaleType),
      MemRefType::get({entriesAll, int64_t(s.dim)}, bookType),
      MemRefType::get({kMax}, b.getIntegerType(s.idBits)),
      MemRefType::get({kMax, s.cols}, outType)};
  SmallVector<Type> workgroup;
  if (shared)
    workgroup.push_back(MemRefType::get(
        {entriesAll * s.dim}, bookType, AffineMap(),
        gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)));

  auto func = createBarePointerKernel(b, loc, kernels, name, buffers,
                                      /*numScalars=*/2, s.blockSize, workgroup);
  OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
  // A full SM (2048 threads) of resident blocks: launches of one wave of
  // blocks then have no tail (ptxas keeps the registers to fit).
  // (The packed path only: the per-vector path needs more registers.)
  if (codebookKernelChunkVectors(s))
    func->setAttr("nvvm.minctasm", kb.getI32IntegerAttr(std::max<int64_t>(
                                       1, 2048 / s.blockSize)));
  // The packed path reads codebook entries as vectors of up to 16 bytes.
  if (shared)
    func.setWorkgroupAttributionAttr(0, LLVM::LLVMDialect::getAlignAttrName(),
                                     kb.getI64IntegerAttr(16));

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
    // Stage the codebooks: consecutive threads copy consecutive elements,
    // up to 8 per thread and iteration with all loads issued before the
    // stores (elements past the end copy the last one again).
    int64_t n = entriesAll * s.dim;
    int64_t copies = std::min<int64_t>(8, (n + s.blockSize - 1) / s.blockSize);
    Value lastC = cst(fb, n - 1);
    scf::ForOp::create(
        fb, loc, tid, cst(fb, n), cst(fb, copies * s.blockSize), ValueRange{},
        [&](OpBuilder &lb, Location l, Value i, ValueRange) {
          SmallVector<Value> at, vals;
          for (int64_t k = 0; k < copies; ++k) {
            Value ik = i;
            if (k > 0)
              ik = arith::MinUIOp::create(
                  lb, l,
                  arith::AddIOp::create(lb, l, i, cst(lb, k * s.blockSize)),
                  lastC);
            Value e = arith::DivUIOp::create(lb, l, ik, dimC);
            Value j = arith::RemUIOp::create(lb, l, ik, dimC);
            at.push_back(ik);
            vals.push_back(
                memref::LoadOp::create(lb, l, booksM, ValueRange{e, j}));
          }
          for (int64_t k = 0; k < copies; ++k)
            memref::StoreOp::create(lb, l, vals[k], smem, ValueRange{at[k]});
          scf::YieldOp::create(lb, l);
        });
    gpu::BarrierOp::create(fb, loc);
  }

  Value start = arith::AddIOp::create(
      fb, loc, arith::MulIOp::create(fb, loc, bid, bs), tid);
  Value step = arith::MulIOp::create(fb, loc, gdim, bs);
  if (int64_t c = codebookKernelChunkVectors(s)) {
    int64_t unroll = codebookKernelUnroll(s);
    emitPackedLoop(fb, loc, s, c, unroll, start, step, tokens, rows, codesM,
                   scalesM, booksM, smem, idsM, outM, outType);
    gpu::ReturnOp::create(fb, loc);
    return;
  }

  // One vector (its `dim` output elements) per thread and iteration:
  // consecutive threads take consecutive vectors of a row, so code loads and
  // output stores of a warp are contiguous.
  int64_t vpr = s.cols / s.dim;
  Value vprC = cst(fb, vpr);
  Value total = arith::MulIOp::create(fb, loc, tokens, vprC);
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

int64_t mlir::qembed::codebookKernelBlockSize(const CodebookKernelSpec &s) {
  if (s.blockSize)
    return s.blockSize;
  // Every resident block stages the whole codebook before its first store;
  // measured on an H200 at 4096 tokens (BENCHMARKS.md), staging more than
  // ~32 KiB per SM (2048 resident threads) costs up to 15% of the kernel.
  // The smallest block that keeps it there, from 256 threads (more blocks
  // per SM hide the latency of each block's start better) to 1024.
  if (!codebookKernelUsesSharedMemory(s) || !codebookKernelChunkVectors(s))
    return 256;
  int64_t bytes = codebookElements(s) * (s.codebookType == "f32" ? 4 : 2);
  int64_t block = 256;
  while (block < 1024 && (2048 / block) * bytes > 32 * 1024)
    block *= 2;
  return block;
}

bool mlir::qembed::compileCodebookKernel(const CodebookKernelSpec &given,
                                         StringRef chip,
                                         CompiledGatherKernel &result,
                                         std::string &error) {
  error = checkCodebookKernelSpec(given);
  if (error.empty())
    error = checkNVVMChip(chip);
  if (!error.empty())
    return false;
  CodebookKernelSpec spec = given;
  spec.blockSize = codebookKernelBlockSize(given);
  result.name = codebookKernelName(spec);
  result.slicesPerRow = 0;
  return compileKernelToPTX(
      chip, "qembed_vq_kernels", "codebook gather kernel",
      [&](OpBuilder &b, Location loc, gpu::GPUModuleOp kernels) {
        buildCodebookKernel(b, loc, kernels, result.name, spec);
      },
      result.ptx, error);
}
