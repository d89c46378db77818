//===- QEmbedToIREE.cpp - --qembed-to-iree --------------------------------===//
//
// Hands quantized lookups to IREE. For CUDA, each qembed.gather becomes a
// custom dispatch (flow.dispatch of a hal.executable.source whose object is
// qembed's own kernel as inline PTX), so IREE programs run qembed's kernel
// instead of IREE's codegen of the gather. Everything else is lowered as
// --qembed-to-linalg lowers it.
//
// qembed cannot link IREE (IREE is built with its own LLVM), so the IREE ops
// and attributes are built as unregistered operations and opaque attributes
// in the generic form iree-compile parses (`--compile-from=input`).
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/Passes.h"
#include "qembed/Conversion/QEmbedToGPU/CodebookKernel.h"
#include "qembed/Conversion/QEmbedToGPU/GatherBagsKernel.h"
#include "qembed/Conversion/QEmbedToGPU/GatherKernel.h"
#include "qembed/Dialect/QEmbed/IR/DequantUtils.h"
#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Numerics/FloatFormats.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Transforms/DialectConversion.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_CONVERTQEMBEDTOIREE
#include "qembed/Conversion/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

/// What every row-gather dispatch needs of a lookup's ids and result: ids
/// of rank >= 1 and type i32 / i64 (their width in `idBits`) and a static
/// row length (`cols`); "" or why not.
static std::string checkRowGatherTypes(Value idsValue, Value resultValue,
                                       unsigned &idBits, int64_t &cols) {
  auto ids = cast<RankedTensorType>(idsValue.getType());
  auto result = cast<RankedTensorType>(resultValue.getType());
  if (ids.getRank() == 0)
    return "the CUDA dispatch needs ids of rank >= 1";
  auto idType = dyn_cast<IntegerType>(ids.getElementType());
  if (!idType || (idType.getWidth() != 32 && idType.getWidth() != 64))
    return "the CUDA dispatch needs i32 or i64 ids, got " +
           llvm::formatv("{0}", ids.getElementType()).str();
  cols = result.getShape().back();
  if (ShapedType::isDynamic(cols))
    return "the CUDA dispatch needs a static row length";
  idBits = idType.getWidth();
  return "";
}

/// The kernel spec of a gather, or a reason it has none.
static std::string specOf(GatherOp op, const IREECUDADispatchOptions &options,
                          GatherKernelSpec &spec) {
  unsigned idBits = 0;
  int64_t cols = 0;
  if (std::string why =
          checkRowGatherTypes(op.getIds(), op.getResult(), idBits, cols);
      !why.empty())
    return why;
  auto result = cast<RankedTensorType>(op.getResult().getType());
  SchemeAttr scheme = op.getScheme();
  spec.bits = scheme.getBits();
  spec.groupSize = scheme.getGroupSize();
  spec.symmetric = scheme.getSymmetric();
  spec.scaleType = elementTypeName(scheme.getScaleType());
  // FP8 / NVFP4 / MXFP4: the same kernel ABI; the f8 scales travel as i8
  // (see the dispatch below) and the kernel reads their bytes.
  spec.format = ::qembed::formatName(::qembed::Format(scheme.getFormat()));
  if (isa<Float8E4M3FNType>(scheme.getScaleType()))
    spec.scaleType = "f8E4M3FN";
  else if (isa<Float8E8M0FNUType>(scheme.getScaleType()))
    spec.scaleType = "f8E8M0FNU";
  if (FloatAttr g = scheme.getGlobalScale())
    spec.globalScale = g.getValue().convertToFloat();
  spec.outType = elementTypeName(result.getElementType());
  spec.idBits = idBits;
  spec.cols = cols;
  spec.blockSize = options.blockSize;
  spec.unroll = options.unroll;
  return checkGatherKernelSpec(spec);
}

std::string
mlir::qembed::checkIREECUDADispatch(Operation *op,
                                    const IREECUDADispatchOptions &options) {
  auto gather = dyn_cast<GatherOp>(op);
  if (!gather)
    return "not a qembed.gather";
  GatherKernelSpec spec;
  return specOf(gather, options, spec);
}

/// `#hal.<body>` as an opaque attribute (IREE's HAL dialect is not linked).
static Attribute halAttr(MLIRContext *ctx, StringRef body) {
  return OpaqueAttr::get(StringAttr::get(ctx, "hal"), body, NoneType::get(ctx));
}

/// Creates an unregistered IREE operation.
static Operation *createIREEOp(OpBuilder &b, Location loc, StringRef name,
                               ValueRange operands, TypeRange results,
                               ArrayRef<NamedAttribute> attrs,
                               unsigned regions = 0) {
  OperationState state(loc, name);
  state.addOperands(operands);
  state.addTypes(results);
  state.addAttributes(attrs);
  for (unsigned i = 0; i < regions; ++i)
    state.addRegion();
  return b.create(state);
}

namespace {
/// What one of qembed's CUDA kernels needs to become an IREE executable: the
/// part shared by the gather, bag and codebook dispatches.
struct CUDAExecutableSpec {
  std::string name;              ///< Kernel, export and executable symbol.
  StringRef what;                ///< "gather", "bag", ... (for errors).
  unsigned readOnlyBindings = 0; ///< Input bindings; the output is one more.
  unsigned constants = 0;        ///< i32 push constants (after the bindings).
  int64_t blockSize = 256;       ///< Threads per workgroup.
  AffineExpr workgroups;         ///< Workgroup count over s0, the workload.
  int64_t maxWorkgroups = 0;     ///< Upper bound of the count (0: none).
  /// Lowers the kernel to PTX; false with `error` set on failure.
  llvm::function_ref<bool(std::string &ptx, std::string &error)> compile;
};

/// The operands of one flow.dispatch of a qembed kernel.
struct CUDADispatchOperands {
  Value workload;               ///< index: the export's s0.
  SmallVector<Value> constants; ///< i32 push constants.
  SmallVector<Value> inputs;    ///< Input tensors, in binding order.
  SmallVector<Value> inputDim0; ///< Known dim 0 of inputs[i], or null.
  RankedTensorType resultType;  ///< The output binding.
  Value resultDim0;             ///< Its dim 0 when dynamic.
};
} // namespace

/// The symbol of the hal.executable.source holding the kernel of `spec`,
/// created (kernel compiled to PTX and embedded inline, NUL-terminated as
/// the CUDA driver expects a PTX image) on first use. Executables go first
/// in the module, in the order their lookups were rewritten.
static FailureOr<std::string>
getOrCreateCUDAExecutable(RewriterBase &rewriter, ModuleOp module,
                          const CUDAExecutableSpec &spec) {
  for (Operation &op : *module.getBody())
    if (op.getName().getStringRef() == "hal.executable.source")
      if (auto sym = op.getAttrOfType<StringAttr>("sym_name"))
        if (sym.getValue() == spec.name)
          return spec.name;
  std::string ptx, error;
  if (!spec.compile(ptx, error)) {
    module.emitError("compiling qembed's ")
        << spec.what << " kernel failed: " << error;
    return failure();
  }

  MLIRContext *ctx = rewriter.getContext();
  OpBuilder::InsertionGuard guard(rewriter);
  Block *top = module.getBody();
  auto firstOther = llvm::find_if(*top, [](Operation &op) {
    return op.getName().getStringRef() != "hal.executable.source";
  });
  rewriter.setInsertionPoint(top, firstOther);
  Location loc = module.getLoc();
  std::string data = std::move(ptx);
  data.push_back('\0');
  std::string objects =
      llvm::formatv("executable.objects<{{#hal.executable.target<\"cuda\", "
                    "\"cuda-nvptx-fb\"> = [#hal.executable.object<{{data = "
                    "dense<\"0x{0}\"> : vector<{1}xi8>}>]}>",
                    llvm::toHex(data), data.size());
  Operation *source = createIREEOp(
      rewriter, loc, "hal.executable.source", {}, {},
      {rewriter.getNamedAttr("sym_name", rewriter.getStringAttr(spec.name)),
       rewriter.getNamedAttr("sym_visibility",
                             rewriter.getStringAttr("private")),
       rewriter.getNamedAttr("objects", halAttr(ctx, objects))},
      /*regions=*/1);
  rewriter.createBlock(&source->getRegion(0));

  std::string bindings;
  for (unsigned i = 0; i < spec.readOnlyBindings; ++i)
    bindings += "#hal.pipeline.binding<storage_buffer, ReadOnly>, ";
  bindings += "#hal.pipeline.binding<storage_buffer>";
  std::string layout =
      llvm::formatv("pipeline.layout<constants = {0}, bindings = [{1}]>",
                    spec.constants, bindings);
  Attribute one = rewriter.getIndexAttr(1);
  Operation *exportOp = createIREEOp(
      rewriter, loc, "hal.executable.export", {}, {},
      {rewriter.getNamedAttr("layout", halAttr(ctx, layout)),
       rewriter.getNamedAttr("ordinal", rewriter.getIndexAttr(0)),
       rewriter.getNamedAttr("sym_name", rewriter.getStringAttr(spec.name)),
       rewriter.getNamedAttr(
           "workgroup_size",
           rewriter.getArrayAttr(
               {rewriter.getIndexAttr(spec.blockSize), one, one}))},
      /*regions=*/2);
  createIREEOp(rewriter, loc, "hal.executable.source_end", {}, {}, {});

  // Workgroup count: the kernel's expression, bounded by maxWorkgroups when
  // set, and at least one: CUDA rejects empty grids, and with no work the
  // kernels' grid-stride loops run no iteration.
  Type device = OpaqueType::get(StringAttr::get(ctx, "hal"), "device");
  Block *count =
      rewriter.createBlock(&exportOp->getRegion(0), {},
                           {device, rewriter.getIndexType()}, {loc, loc});
  Value workload = count->getArgument(1);
  AffineExpr grid = spec.workgroups;
  if (spec.maxWorkgroups > 0) {
    auto capped = AffineMap::get(
        0, 1, {grid, rewriter.getAffineConstantExpr(spec.maxWorkgroups)}, ctx);
    workload = affine::AffineMinOp::create(rewriter, loc, capped,
                                           ValueRange{workload});
    grid = rewriter.getAffineSymbolExpr(0);
  }
  auto map =
      AffineMap::get(0, 1, {grid, rewriter.getAffineConstantExpr(1)}, ctx);
  Value blocks =
      affine::AffineMaxOp::create(rewriter, loc, map, ValueRange{workload});
  Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
  createIREEOp(rewriter, loc, "hal.return", {blocks, c1, c1}, {}, {});
  return spec.name;
}

/// A flow.dispatch of executable `exe` with `ops`: the push constants first
/// (IREE passes them after the bindings), then the input tensors, then the
/// dynamic dims of each tensor in order, then the result's.
static Value createCUDADispatch(RewriterBase &rewriter, Location loc,
                                StringRef exe,
                                const CUDADispatchOperands &ops) {
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<Value> args(ops.constants);
  args.append(ops.inputs);
  SmallVector<Value> argDims;
  for (auto [i, v] : llvm::enumerate(ops.inputs)) {
    auto t = cast<RankedTensorType>(v.getType());
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (t.isDynamicDim(d))
        argDims.push_back(
            d == 0 && i < ops.inputDim0.size() && ops.inputDim0[i]
                ? ops.inputDim0[i]
                : tensor::DimOp::create(rewriter, loc, v, d).getResult());
  }
  SmallVector<Value> resultDims;
  if (ops.resultType.isDynamicDim(0))
    resultDims.push_back(ops.resultDim0);
  SmallVector<Value> operands = {ops.workload};
  operands.append(args);
  operands.append(argDims);
  operands.append(resultDims);
  auto entry = SymbolRefAttr::get(ctx, exe, {FlatSymbolRefAttr::get(ctx, exe)});
  NamedAttribute attrs[] = {
      rewriter.getNamedAttr("entry_points", rewriter.getArrayAttr({entry})),
      rewriter.getNamedAttr(
          "operandSegmentSizes",
          rewriter.getDenseI32ArrayAttr({1, int32_t(args.size()),
                                         int32_t(argDims.size()),
                                         int32_t(resultDims.size())})),
      rewriter.getNamedAttr(
          "tied_operands", rewriter.getArrayAttr({rewriter.getIndexAttr(-1)}))};
  return createIREEOp(rewriter, loc, "flow.dispatch", operands,
                      {ops.resultType}, attrs)
      ->getResult(0);
}

/// Replaces `op`, a row gather whose result is ids.shape x `cols`, with a
/// dispatch of `exe` (bindings `tables`..., ids flattened to [tokens],
/// output [tokens, cols]; push constants tokens and rows, the row count of
/// `tables[0]`), the result expanded back to ids.shape x cols.
static void replaceWithRowGatherDispatch(RewriterBase &rewriter, Operation *op,
                                         StringRef exe, ArrayRef<Value> tables,
                                         Value ids, int64_t cols) {
  Location loc = op->getLoc();
  auto idsType = cast<RankedTensorType>(ids.getType());
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  Type i32 = rewriter.getI32Type();
  Value origIds = ids;
  int64_t rank = idsType.getRank();
  if (rank > 1) {
    SmallVector<ReassociationIndices> all(1);
    for (int64_t i = 0; i < rank; ++i)
      all[0].push_back(i);
    ids = tensor::CollapseShapeOp::create(rewriter, loc, ids, all);
  }
  int64_t staticTokens = cast<RankedTensorType>(ids.getType()).getShape()[0];
  Value tokens =
      ShapedType::isDynamic(staticTokens)
          ? Value(tensor::DimOp::create(rewriter, loc, ids, 0))
          : Value(arith::ConstantIndexOp::create(rewriter, loc, staticTokens));
  Value table = tables.front();
  int64_t staticRows = cast<RankedTensorType>(table.getType()).getShape()[0];
  Value rows32 =
      ShapedType::isDynamic(staticRows)
          ? Value(arith::IndexCastUIOp::create(
                rewriter, loc, i32,
                tensor::DimOp::create(rewriter, loc, table, 0)))
          : Value(arith::ConstantIntOp::create(rewriter, loc, staticRows, 32));

  CUDADispatchOperands ops;
  ops.workload = tokens;
  ops.constants = {arith::IndexCastUIOp::create(rewriter, loc, i32, tokens),
                   rows32};
  ops.inputs.append(tables.begin(), tables.end());
  ops.inputs.push_back(ids);
  ops.inputDim0.assign(tables.size(), Value());
  ops.inputDim0.push_back(tokens);
  ops.resultType =
      RankedTensorType::get({staticTokens, cols}, resultType.getElementType());
  ops.resultDim0 = tokens;
  Value result = createCUDADispatch(rewriter, loc, exe, ops);

  if (rank != 1) {
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t i = 0; i < rank; ++i)
      groups[0].push_back(i);
    groups.push_back({rank});
    SmallVector<OpFoldResult> shape;
    for (int64_t i = 0; i < rank; ++i)
      shape.push_back(tensor::getMixedSize(rewriter, loc, origIds, i));
    shape.push_back(rewriter.getIndexAttr(cols));
    result = tensor::ExpandShapeOp::create(rewriter, loc, resultType, result,
                                           groups, shape);
  }
  rewriter.replaceOp(op, result);
}

namespace {
/// qembed.gather -> flow.dispatch of qembed's kernel.
struct GatherToCUDADispatch : OpRewritePattern<GatherOp> {
  GatherToCUDADispatch(MLIRContext *ctx, IREECUDADispatchOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(std::move(options)) {}

  LogicalResult matchAndRewrite(GatherOp op,
                                PatternRewriter &rewriter) const override {
    GatherKernelSpec spec;
    std::string why = specOf(op, options, spec);
    if (!why.empty())
      return rewriter.notifyMatchFailure(op, why);
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    // Bindings: packed, scales, [zero points], ids (read-only), output;
    // workgroups: ceil(tokens * slices / (block size * unroll)).
    CUDAExecutableSpec exeSpec;
    exeSpec.name = gatherKernelName(spec);
    exeSpec.what = "gather";
    exeSpec.readOnlyBindings = spec.symmetric ? 3 : 4;
    exeSpec.constants = 2;
    exeSpec.blockSize = spec.blockSize;
    exeSpec.workgroups =
        (rewriter.getAffineSymbolExpr(0) * gatherSlicesPerRow(spec))
            .ceilDiv(spec.blockSize * spec.unroll);
    auto compile = [&](std::string &ptx, std::string &error) {
      CompiledGatherKernel kernel;
      if (!compileGatherKernel(spec, options.chip, kernel, error))
        return false;
      ptx = std::move(kernel.ptx);
      return true;
    };
    exeSpec.compile = compile;
    FailureOr<std::string> exe =
        getOrCreateCUDAExecutable(rewriter, module, exeSpec);
    if (failed(exe))
      return rewriter.notifyMatchFailure(op, "the kernel did not compile");

    // f8 scales (NVFP4, MXFP4) are handed over as their bytes: the kernel
    // decodes them, and IREE's bindings need no f8 element type.
    Value scales = op.getScales();
    auto scalesType = cast<RankedTensorType>(scales.getType());
    if (isa<Float8E4M3FNType, Float8E8M0FNUType>(scalesType.getElementType()))
      scales = scalesAsBytes(rewriter, op.getLoc(), scales);
    SmallVector<Value> tables = {op.getPacked(), scales};
    if (op.getZeroPoints())
      tables.push_back(op.getZeroPoints());
    replaceWithRowGatherDispatch(rewriter, op, *exe, tables, op.getIds(),
                                 spec.cols);
    return success();
  }

  IREECUDADispatchOptions options;
};

/// The kernel spec of a gather_bags, or a reason it has none.
static std::string bagsSpecOf(GatherBagsOp op,
                              const IREECUDADispatchOptions &options,
                              GatherBagsKernelSpec &spec) {
  auto idType = dyn_cast<IntegerType>(op.getIds().getType().getElementType());
  auto offType =
      dyn_cast<IntegerType>(op.getOffsets().getType().getElementType());
  if (!idType || !offType ||
      (idType.getWidth() != 32 && idType.getWidth() != 64) ||
      (offType.getWidth() != 32 && offType.getWidth() != 64))
    return "the CUDA dispatch needs i32 or i64 ids and offsets";
  RankedTensorType result = op.getType();
  SchemeAttr scheme = op.getScheme();
  spec.bits = scheme.getBits();
  spec.groupSize = scheme.getGroupSize();
  spec.symmetric = scheme.getSymmetric();
  spec.scaleType = elementTypeName(scheme.getScaleType());
  spec.outType = elementTypeName(result.getElementType());
  spec.idBits = idType.getWidth();
  spec.offsetBits = offType.getWidth();
  spec.cols = result.getDimSize(1);
  spec.mean = op.getMode() == BagMode::Mean;
  spec.blockSize = options.blockSize;
  return checkGatherBagsKernelSpec(spec);
}

/// qembed.gather_bags -> flow.dispatch of qembed's bag kernel (one thread
/// per 16-byte output slice; see GatherBagsKernel.h).
struct GatherBagsToCUDADispatch : OpRewritePattern<GatherBagsOp> {
  GatherBagsToCUDADispatch(MLIRContext *ctx, IREECUDADispatchOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(std::move(options)) {}

  LogicalResult matchAndRewrite(GatherBagsOp op,
                                PatternRewriter &rewriter) const override {
    GatherBagsKernelSpec spec;
    if (std::string why = bagsSpecOf(op, options, spec); !why.empty())
      return rewriter.notifyMatchFailure(op, why);
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    // Bindings: packed, scales, [zero points], ids, offsets (read-only),
    // output; constants: ids count, bags, rows; workgroups:
    // ceil(bags * threads per bag / block size), a thread per 16-byte
    // output slice (or column: gatherBagsKernelUnitElements).
    CUDAExecutableSpec exeSpec;
    exeSpec.name = gatherBagsKernelName(spec);
    exeSpec.what = "bag";
    exeSpec.readOnlyBindings = spec.symmetric ? 4 : 5;
    exeSpec.constants = 3;
    exeSpec.blockSize = spec.blockSize;
    exeSpec.workgroups = (rewriter.getAffineSymbolExpr(0) *
                          (spec.cols / gatherBagsKernelUnitElements(spec)))
                             .ceilDiv(spec.blockSize);
    auto compile = [&](std::string &ptx, std::string &error) {
      return compileGatherBagsKernel(spec, options.chip, ptx, error);
    };
    exeSpec.compile = compile;
    FailureOr<std::string> exe =
        getOrCreateCUDAExecutable(rewriter, module, exeSpec);
    if (failed(exe))
      return rewriter.notifyMatchFailure(op, "the kernel did not compile");

    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type();
    auto sizeOf = [&](Value v) -> Value {
      int64_t d = cast<RankedTensorType>(v.getType()).getDimSize(0);
      if (ShapedType::isDynamic(d))
        return tensor::DimOp::create(rewriter, loc, v, 0);
      return arith::ConstantIndexOp::create(rewriter, loc, d);
    };
    Value ids = op.getIds(), offsets = op.getOffsets();
    Value numIds = sizeOf(ids), numBags = sizeOf(offsets);
    Value rows = sizeOf(op.getPacked());
    auto toI32 = [&](Value v) -> Value {
      return arith::IndexCastUIOp::create(rewriter, loc, i32, v);
    };
    CUDADispatchOperands ops;
    ops.workload = numBags;
    ops.constants = {toI32(numIds), toI32(numBags), toI32(rows)};
    ops.inputs = {op.getPacked(), op.getScales()};
    if (op.getZeroPoints())
      ops.inputs.push_back(op.getZeroPoints());
    ops.inputDim0.assign(ops.inputs.size(), Value());
    ops.inputs.append({ids, offsets});
    ops.inputDim0.append({numIds, numBags});
    ops.resultType = op.getType();
    ops.resultDim0 = numBags;
    rewriter.replaceOp(op, createCUDADispatch(rewriter, loc, *exe, ops));
    return success();
  }

  IREECUDADispatchOptions options;
};
} // namespace

/// The kernel spec of a codebook_gather, or a reason it has none.
static std::string codebookSpecOf(CodebookGatherOp op,
                                  const IREECUDADispatchOptions &options,
                                  CodebookKernelSpec &spec) {
  unsigned idBits = 0;
  int64_t cols = 0;
  if (std::string why =
          checkRowGatherTypes(op.getIds(), op.getResult(), idBits, cols);
      !why.empty())
    return why;
  auto result = cast<RankedTensorType>(op.getResult().getType());
  CodebookAttr codebook = op.getCodebook();
  spec.dim = codebook.getDim();
  spec.entries = codebook.getEntries();
  spec.stages = codebook.getStages();
  spec.groups = codebook.getGroups();
  spec.scaleType = elementTypeName(op.getScales().getType().getElementType());
  spec.codebookType =
      elementTypeName(op.getCodebooks().getType().getElementType());
  spec.outType = elementTypeName(result.getElementType());
  spec.idBits = idBits;
  spec.cols = cols;
  spec.blockSize = options.codebookBlockSize;
  spec.unroll = options.codebookUnroll;
  if (std::string why = checkCodebookKernelSpec(spec); !why.empty())
    return why;
  spec.blockSize = codebookKernelBlockSize(spec);
  return "";
}

std::string mlir::qembed::checkIREECUDACodebookDispatch(
    Operation *op, const IREECUDADispatchOptions &options) {
  auto gather = dyn_cast<CodebookGatherOp>(op);
  if (!gather)
    return "not a qembed.codebook_gather";
  if (options.maxCodebookWorkgroups < 0)
    return "vq-max-workgroups must be >= 0";
  CodebookKernelSpec spec;
  return codebookSpecOf(gather, options, spec);
}

namespace {
/// qembed.codebook_gather -> flow.dispatch of qembed's codebook VQ kernel
/// (CodebookKernel.h): the codebooks are a third read-only binding where the
/// integer gather has its zero points.
struct CodebookGatherToCUDADispatch : OpRewritePattern<CodebookGatherOp> {
  CodebookGatherToCUDADispatch(MLIRContext *ctx,
                               IREECUDADispatchOptions options)
      : OpRewritePattern(ctx, /*benefit=*/2), options(std::move(options)) {}

  LogicalResult matchAndRewrite(CodebookGatherOp op,
                                PatternRewriter &rewriter) const override {
    CodebookKernelSpec spec;
    if (std::string why = codebookSpecOf(op, options, spec); !why.empty())
      return rewriter.notifyMatchFailure(op, why);
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not inside a module");
    // Bindings: codes, scales, codebooks, ids (read-only), output;
    // constants: tokens, rows. Work units: chunks of the packed path (each
    // thread takes `unroll` per iteration) or single vectors; workgroups:
    // ceil(tokens * units per row / (block size * units per thread)),
    // bounded by maxCodebookWorkgroups (each workgroup stages the codebooks
    // in shared memory once; the grid-stride loop covers the rest).
    int64_t vectorsPerRow = spec.cols / spec.dim;
    int64_t chunk = codebookKernelChunkVectors(spec);
    int64_t unitsPerRow = chunk ? vectorsPerRow / chunk : vectorsPerRow;
    int64_t unitsPerThread = chunk ? codebookKernelUnroll(spec) : 1;
    CUDAExecutableSpec exeSpec;
    exeSpec.name = codebookKernelName(spec);
    exeSpec.what = "codebook gather";
    exeSpec.readOnlyBindings = 4;
    exeSpec.constants = 2;
    exeSpec.blockSize = spec.blockSize;
    exeSpec.workgroups = (rewriter.getAffineSymbolExpr(0) * unitsPerRow)
                             .ceilDiv(spec.blockSize * unitsPerThread);
    // One wave of resident workgroups (2048 threads per SM, 132 SMs)
    // unless the option bounds it.
    exeSpec.maxWorkgroups =
        options.maxCodebookWorkgroups
            ? options.maxCodebookWorkgroups
            : 132 * std::max<int64_t>(1, 2048 / spec.blockSize);
    auto compile = [&](std::string &ptx, std::string &error) {
      CompiledGatherKernel kernel;
      if (!compileCodebookKernel(spec, options.chip, kernel, error))
        return false;
      ptx = std::move(kernel.ptx);
      return true;
    };
    exeSpec.compile = compile;
    FailureOr<std::string> exe =
        getOrCreateCUDAExecutable(rewriter, module, exeSpec);
    if (failed(exe))
      return rewriter.notifyMatchFailure(op, "the kernel did not compile");
    replaceWithRowGatherDispatch(
        rewriter, op, *exe, {op.getCodes(), op.getScales(), op.getCodebooks()},
        op.getIds(), spec.cols);
    return success();
  }

  IREECUDADispatchOptions options;
};

struct ConvertQEmbedToIREEPass
    : mlir::qembed::impl::ConvertQEmbedToIREEBase<ConvertQEmbedToIREEPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    if (target == "cuda") {
      IREECUDADispatchOptions options{chip, blockSize, unroll};
      options.maxCodebookWorkgroups = vqMaxWorkgroups;
      options.codebookBlockSize = vqBlockSize;
      options.codebookUnroll = vqUnroll;
      std::string bad = checkNVVMChip(chip);
      if (bad.empty() && vqMaxWorkgroups < 0)
        bad = "vq-max-workgroups must be >= 0, got " +
              std::to_string(vqMaxWorkgroups);
      if (bad.empty() && (vqUnroll < 0 || vqUnroll > 8))
        bad = "vq-unroll must be in 0..8 (0: the generator's choice), got " +
              std::to_string(vqUnroll);
      if (bad.empty() && vqBlockSize != 0 &&
          (vqBlockSize < 32 || vqBlockSize > 1024 || vqBlockSize % 32 != 0))
        bad = "vq-block-size must be 0 (the generator's choice) or a "
              "multiple of 32 in 32..1024, got " +
              std::to_string(vqBlockSize);
      if (bad.empty() && !ctx->allowsUnregisteredDialects())
        bad = "target=cuda emits IREE ops (flow.dispatch, "
              "hal.executable.source): run with --allow-unregistered-dialect";
      if (!bad.empty()) {
        module.emitError("--qembed-to-iree: ") << bad;
        return signalPassFailure();
      }
      // Validate every gather first: one that the kernel cannot serve is an
      // error, not a silent fall back to IREE's codegen.
      bool ok = true;
      module.walk([&](GatherOp op) {
        std::string why = checkIREECUDADispatch(op, options);
        if (!why.empty()) {
          op.emitOpError("cannot become a CUDA custom dispatch: ") << why;
          ok = false;
        }
      });
      if (!ok)
        return signalPassFailure();
      module.walk([&](GatherBagsOp op) {
        GatherBagsKernelSpec spec;
        std::string why = bagsSpecOf(op, options, spec);
        if (!why.empty()) {
          op.emitOpError("cannot become a CUDA custom dispatch: ") << why;
          ok = false;
        }
      });
      if (!ok)
        return signalPassFailure();
      module.walk([&](CodebookGatherOp op) {
        std::string why = checkIREECUDACodebookDispatch(op, options);
        if (!why.empty()) {
          op.emitOpError("cannot become a CUDA custom dispatch: ") << why;
          ok = false;
        }
      });
      if (!ok)
        return signalPassFailure();
      populateQEmbedToIREECUDAPatterns(patterns, options);
    } else if (target != "cpu") {
      module.emitError("--qembed-to-iree: target must be 'cuda' or 'cpu', "
                       "got '")
          << target << "'";
      return signalPassFailure();
    }
    populateQEmbedToLinalgPatterns(patterns);
    ConversionTarget conversion(*ctx);
    conversion.addIllegalDialect<QEmbedDialect>();
    conversion.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    if (failed(applyPartialConversion(module, conversion, std::move(patterns))))
      return signalPassFailure();
    // f8 scale constants now read as i8 copies are dead: drop them (IREE
    // 3.13 cannot serialize f8 constants).
    eraseDeadF8Constants(module);
  }
};
} // namespace

void mlir::qembed::populateQEmbedToIREECUDAPatterns(
    RewritePatternSet &patterns, const IREECUDADispatchOptions &options) {
  patterns.add<GatherToCUDADispatch>(patterns.getContext(), options);
  patterns.add<GatherBagsToCUDADispatch>(patterns.getContext(), options);
  patterns.add<CodebookGatherToCUDADispatch>(patterns.getContext(), options);
}
