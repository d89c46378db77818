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

/// The kernel spec of a gather, or a reason it has none.
static std::string specOf(GatherOp op, const IREECUDADispatchOptions &options,
                          GatherKernelSpec &spec) {
  auto ids = cast<RankedTensorType>(op.getIds().getType());
  auto result = cast<RankedTensorType>(op.getResult().getType());
  if (ids.getRank() == 0)
    return "the CUDA dispatch needs ids of rank >= 1";
  auto idType = dyn_cast<IntegerType>(ids.getElementType());
  if (!idType || (idType.getWidth() != 32 && idType.getWidth() != 64))
    return "the CUDA dispatch needs i32 or i64 ids, got " +
           llvm::formatv("{0}", ids.getElementType()).str();
  int64_t cols = result.getShape().back();
  if (ShapedType::isDynamic(cols))
    return "the CUDA dispatch needs a static row length";
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
  spec.idBits = idType.getWidth();
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
    FailureOr<std::string> exe = getOrCreateExecutable(rewriter, module, spec);
    if (failed(exe))
      return rewriter.notifyMatchFailure(op, "the kernel did not compile");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto idsType = cast<RankedTensorType>(op.getIds().getType());
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    Type i32 = rewriter.getI32Type();

    // Ids flattened to [tokens].
    Value ids = op.getIds();
    int64_t rank = idsType.getRank();
    if (rank > 1) {
      SmallVector<ReassociationIndices> all(1);
      for (int64_t i = 0; i < rank; ++i)
        all[0].push_back(i);
      ids = tensor::CollapseShapeOp::create(rewriter, loc, ids, all);
    }
    auto flatIds = cast<RankedTensorType>(ids.getType());
    int64_t staticTokens = flatIds.getShape()[0];
    Value tokens =
        ShapedType::isDynamic(staticTokens)
            ? Value(tensor::DimOp::create(rewriter, loc, ids, 0))
            : Value(arith::ConstantIndexOp::create(rewriter, loc,
                                                   staticTokens));
    Value packed = op.getPacked();
    int64_t staticRows = op.getPacked().getType().getShape()[0];
    Value rows32 =
        ShapedType::isDynamic(staticRows)
            ? Value(arith::IndexCastUIOp::create(
                  rewriter, loc, i32,
                  tensor::DimOp::create(rewriter, loc, packed, 0)))
            : Value(arith::ConstantIntOp::create(rewriter, loc, staticRows,
                                                 32));

    // Operands: push constants first (IREE passes them after the bindings),
    // then the tensors, then the dynamic dims of each tensor in order.
    // f8 scales (NVFP4, MXFP4) are handed over as their bytes: the kernel
    // decodes them, and IREE's bindings need no f8 element type.
    Value scales = op.getScales();
    auto scalesType = cast<RankedTensorType>(scales.getType());
    if (isa<Float8E4M3FNType, Float8E8M0FNUType>(scalesType.getElementType()))
      scales = scalesAsBytes(rewriter, loc, scales);
    SmallVector<Value> args = {
        arith::IndexCastUIOp::create(rewriter, loc, i32, tokens), rows32,
        packed, scales};
    if (op.getZeroPoints())
      args.push_back(op.getZeroPoints());
    args.push_back(ids);
    SmallVector<Value> argDims;
    for (Value v : ValueRange(args).drop_front(2)) {
      auto t = cast<RankedTensorType>(v.getType());
      for (int64_t d = 0; d < t.getRank(); ++d)
        if (t.isDynamicDim(d))
          argDims.push_back(d == 0 && v == ids ? tokens
                                               : tensor::DimOp::create(
                                                     rewriter, loc, v, d)
                                                     .getResult());
    }
    auto flatType = RankedTensorType::get({staticTokens, spec.cols},
                                          resultType.getElementType());
    SmallVector<Value> resultDims;
    if (ShapedType::isDynamic(staticTokens))
      resultDims.push_back(tokens);

    SmallVector<Value> operands = {tokens};
    operands.append(args);
    operands.append(argDims);
    operands.append(resultDims);
    auto entry = SymbolRefAttr::get(ctx, *exe,
                                    {FlatSymbolRefAttr::get(ctx, *exe)});
    NamedAttribute attrs[] = {
        rewriter.getNamedAttr("entry_points", rewriter.getArrayAttr({entry})),
        rewriter.getNamedAttr(
            "operandSegmentSizes",
            rewriter.getDenseI32ArrayAttr({1, int32_t(args.size()),
                                           int32_t(argDims.size()),
                                           int32_t(resultDims.size())})),
        rewriter.getNamedAttr(
            "tied_operands",
            rewriter.getArrayAttr({rewriter.getIndexAttr(-1)}))};
    Operation *dispatch = createIREEOp(rewriter, loc, "flow.dispatch",
                                       operands, {flatType}, attrs);
    Value result = dispatch->getResult(0);

    // Back to ids.shape x D.
    if (rank != 1) {
      SmallVector<ReassociationIndices> groups(1);
      for (int64_t i = 0; i < rank; ++i)
        groups[0].push_back(i);
      groups.push_back({rank});
      SmallVector<OpFoldResult> shape;
      for (int64_t i = 0; i < rank; ++i)
        shape.push_back(tensor::getMixedSize(rewriter, loc, op.getIds(), i));
      shape.push_back(rewriter.getIndexAttr(spec.cols));
      result = tensor::ExpandShapeOp::create(rewriter, loc, resultType, result,
                                             groups, shape);
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  /// The symbol of the hal.executable.source holding the kernel for `spec`,
  /// created (kernel compiled to PTX) on first use.
  FailureOr<std::string> getOrCreateExecutable(PatternRewriter &rewriter,
                                               ModuleOp module,
                                               const GatherKernelSpec &spec)
      const {
    std::string name = gatherKernelName(spec);
    for (Operation &op : *module.getBody())
      if (op.getName().getStringRef() == "hal.executable.source")
        if (auto sym = op.getAttrOfType<StringAttr>("sym_name"))
          if (sym.getValue() == name)
            return name;

    CompiledGatherKernel kernel;
    std::string error;
    if (!compileGatherKernel(spec, options.chip, kernel, error)) {
      module.emitError("compiling qembed's gather kernel failed: ") << error;
      return failure();
    }

    MLIRContext *ctx = rewriter.getContext();
    OpBuilder::InsertionGuard guard(rewriter);
    // Executables go first, in the order their lookups were rewritten.
    Block *top = module.getBody();
    auto firstOther = llvm::find_if(*top, [](Operation &op) {
      return op.getName().getStringRef() != "hal.executable.source";
    });
    rewriter.setInsertionPoint(top, firstOther);
    Location loc = module.getLoc();

    // The PTX, NUL-terminated as the CUDA driver expects a PTX image.
    std::string data = kernel.ptx;
    data.push_back('\0');
    std::string objects = llvm::formatv(
        "executable.objects<{{#hal.executable.target<\"cuda\", "
        "\"cuda-nvptx-fb\"> = [#hal.executable.object<{{data = "
        "dense<\"0x{0}\"> : vector<{1}xi8>}>]}>",
        llvm::toHex(data), data.size());
    Operation *source = createIREEOp(
        rewriter, loc, "hal.executable.source", {}, {},
        {rewriter.getNamedAttr("sym_name", rewriter.getStringAttr(name)),
         rewriter.getNamedAttr("sym_visibility",
                               rewriter.getStringAttr("private")),
         rewriter.getNamedAttr("objects", halAttr(ctx, objects))},
        /*regions=*/1);
    rewriter.createBlock(&source->getRegion(0));

    // Bindings: packed, scales, [zero points], ids (read-only), output.
    std::string bindings;
    unsigned inputs = spec.symmetric ? 3 : 4;
    for (unsigned i = 0; i < inputs; ++i)
      bindings += "#hal.pipeline.binding<storage_buffer, ReadOnly>, ";
    bindings += "#hal.pipeline.binding<storage_buffer>";
    std::string layout = llvm::formatv(
        "pipeline.layout<constants = 2, bindings = [{0}]>", bindings);
    Attribute one = rewriter.getIndexAttr(1);
    Operation *exportOp = createIREEOp(
        rewriter, loc, "hal.executable.export", {}, {},
        {rewriter.getNamedAttr("layout", halAttr(ctx, layout)),
         rewriter.getNamedAttr("ordinal", rewriter.getIndexAttr(0)),
         rewriter.getNamedAttr("sym_name", rewriter.getStringAttr(name)),
         rewriter.getNamedAttr(
             "workgroup_size",
             rewriter.getArrayAttr(
                 {rewriter.getIndexAttr(spec.blockSize), one, one}))},
        /*regions=*/2);
    createIREEOp(rewriter, loc, "hal.executable.source_end", {}, {}, {});

    // Workgroup count: ceil(tokens * slices / (block size * unroll)), at
    // least one: CUDA rejects empty grids, and for zero tokens the kernel's
    // loop runs no iteration.
    Type device = OpaqueType::get(StringAttr::get(ctx, "hal"), "device");
    Block *count = rewriter.createBlock(&exportOp->getRegion(0), {},
                                        {device, rewriter.getIndexType()},
                                        {loc, loc});
    AffineExpr s0 = rewriter.getAffineSymbolExpr(0);
    AffineExpr grid = (s0 * gatherSlicesPerRow(spec))
                          .ceilDiv(spec.blockSize * spec.unroll);
    auto map = AffineMap::get(0, 1, {grid, rewriter.getAffineConstantExpr(1)},
                              ctx);
    Value blocks = affine::AffineMaxOp::create(
        rewriter, loc, map, ValueRange{count->getArgument(1)});
    Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
    createIREEOp(rewriter, loc, "hal.return", {blocks, c1, c1}, {}, {});
    return name;
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
/// per output element; see GatherBagsKernel.h).
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
    FailureOr<std::string> exe = getOrCreateExecutable(rewriter, module, spec);
    if (failed(exe))
      return rewriter.notifyMatchFailure(op, "the kernel did not compile");

    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
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
    // Push constants first (IREE passes them after the bindings), then the
    // tensors, then the dynamic dims of each tensor in order.
    SmallVector<Value> args = {toI32(numIds), toI32(numBags), toI32(rows),
                               op.getPacked(), op.getScales()};
    if (op.getZeroPoints())
      args.push_back(op.getZeroPoints());
    args.append({ids, offsets});
    SmallVector<Value> argDims;
    for (Value v : ValueRange(args).drop_front(3)) {
      auto t = cast<RankedTensorType>(v.getType());
      for (int64_t d = 0; d < t.getRank(); ++d)
        if (t.isDynamicDim(d))
          argDims.push_back(v == ids       ? numIds
                            : v == offsets ? numBags
                                           : tensor::DimOp::create(
                                                 rewriter, loc, v, d)
                                                 .getResult());
    }
    RankedTensorType resultType = op.getType();
    SmallVector<Value> resultDims;
    if (resultType.isDynamicDim(0))
      resultDims.push_back(numBags);
    SmallVector<Value> operands = {numBags};
    operands.append(args);
    operands.append(argDims);
    operands.append(resultDims);
    auto entry = SymbolRefAttr::get(ctx, *exe,
                                    {FlatSymbolRefAttr::get(ctx, *exe)});
    NamedAttribute attrs[] = {
        rewriter.getNamedAttr("entry_points", rewriter.getArrayAttr({entry})),
        rewriter.getNamedAttr(
            "operandSegmentSizes",
            rewriter.getDenseI32ArrayAttr({1, int32_t(args.size()),
                                           int32_t(argDims.size()),
                                           int32_t(resultDims.size())})),
        rewriter.getNamedAttr(
            "tied_operands",
            rewriter.getArrayAttr({rewriter.getIndexAttr(-1)}))};
    Operation *dispatch = createIREEOp(rewriter, loc, "flow.dispatch",
                                       operands, {resultType}, attrs);
    rewriter.replaceOp(op, dispatch->getResults());
    return success();
  }

  /// The symbol of the hal.executable.source holding the kernel for `spec`,
  /// created (kernel compiled to PTX) on first use.
  FailureOr<std::string>
  getOrCreateExecutable(PatternRewriter &rewriter, ModuleOp module,
                        const GatherBagsKernelSpec &spec) const {
    std::string name = gatherBagsKernelName(spec);
    for (Operation &op : *module.getBody())
      if (op.getName().getStringRef() == "hal.executable.source")
        if (auto sym = op.getAttrOfType<StringAttr>("sym_name"))
          if (sym.getValue() == name)
            return name;
    std::string ptx, error;
    if (!compileGatherBagsKernel(spec, options.chip, ptx, error)) {
      module.emitError("compiling qembed's bag kernel failed: ") << error;
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
    std::string data = ptx;
    data.push_back('\0'); // a PTX image is NUL-terminated
    std::string objects = llvm::formatv(
        "executable.objects<{{#hal.executable.target<\"cuda\", "
        "\"cuda-nvptx-fb\"> = [#hal.executable.object<{{data = "
        "dense<\"0x{0}\"> : vector<{1}xi8>}>]}>",
        llvm::toHex(data), data.size());
    Operation *source = createIREEOp(
        rewriter, loc, "hal.executable.source", {}, {},
        {rewriter.getNamedAttr("sym_name", rewriter.getStringAttr(name)),
         rewriter.getNamedAttr("sym_visibility",
                               rewriter.getStringAttr("private")),
         rewriter.getNamedAttr("objects", halAttr(ctx, objects))},
        /*regions=*/1);
    rewriter.createBlock(&source->getRegion(0));
    // Bindings: packed, scales, [zero points], ids, offsets (read-only),
    // output; constants: ids count, bags, rows.
    std::string bindings;
    unsigned inputs = spec.symmetric ? 4 : 5;
    for (unsigned i = 0; i < inputs; ++i)
      bindings += "#hal.pipeline.binding<storage_buffer, ReadOnly>, ";
    bindings += "#hal.pipeline.binding<storage_buffer>";
    std::string layout = llvm::formatv(
        "pipeline.layout<constants = 3, bindings = [{0}]>", bindings);
    Attribute one = rewriter.getIndexAttr(1);
    Operation *exportOp = createIREEOp(
        rewriter, loc, "hal.executable.export", {}, {},
        {rewriter.getNamedAttr("layout", halAttr(ctx, layout)),
         rewriter.getNamedAttr("ordinal", rewriter.getIndexAttr(0)),
         rewriter.getNamedAttr("sym_name", rewriter.getStringAttr(name)),
         rewriter.getNamedAttr(
             "workgroup_size",
             rewriter.getArrayAttr(
                 {rewriter.getIndexAttr(spec.blockSize), one, one}))},
        /*regions=*/2);
    createIREEOp(rewriter, loc, "hal.executable.source_end", {}, {}, {});
    // Workgroup count: ceil(bags * threads per bag / block size), at least
    // one (CUDA rejects empty grids; with no bags the kernel's loop runs no
    // iteration).
    Type device = OpaqueType::get(StringAttr::get(ctx, "hal"), "device");
    Block *count = rewriter.createBlock(&exportOp->getRegion(0), {},
                                        {device, rewriter.getIndexType()},
                                        {loc, loc});
    AffineExpr s0 = rewriter.getAffineSymbolExpr(0);
    AffineExpr grid =
        (s0 * (spec.cols / gatherBagsKernelUnitElements(spec)))
            .ceilDiv(spec.blockSize);
    auto map = AffineMap::get(0, 1, {grid, rewriter.getAffineConstantExpr(1)},
                              ctx);
    Value blocks = affine::AffineMaxOp::create(
        rewriter, loc, map, ValueRange{count->getArgument(1)});
    Value c1 = arith::ConstantIndexOp::create(rewriter, loc, 1);
    createIREEOp(rewriter, loc, "hal.return", {blocks, c1, c1}, {}, {});
    return name;
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
      std::string bad = checkNVVMChip(chip);
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
      // Codebook VQ gathers have no qembed CUDA kernel: they are lowered to
      // linalg for IREE's own codegen, and say so.
      module.walk([&](CodebookGatherOp op) {
        op.emitRemark("codebook VQ gather lowered to linalg for IREE's "
                      "codegen (qembed's CUDA kernel reads integer schemes "
                      "only)");
      });
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
}
