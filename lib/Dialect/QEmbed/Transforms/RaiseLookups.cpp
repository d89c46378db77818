//===- RaiseLookups.cpp - --qembed-raise-lookups --------------------------===//
//
// Recognises embedding lookups as front ends spell them (Torch-MLIR's
// aten.embedding / index_select / index.Tensor linalg.generic,
// tensor.gather) and raises them to qembed.lookup. Lookups still in the
// torch dialect get a remark saying how to export them instead.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

#include "RaiseBags.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_QEMBEDRAISELOOKUPS
#include "qembed/Dialect/QEmbed/Transforms/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

namespace {
/// A recognised lookup: `table[ids[...], :]`, where `wrapsNegative` says
/// the body maps a negative id `i` to `i + rows` first (aten.index.Tensor).
struct LookupMatch {
  Value table;
  Value ids;
  bool wrapsNegative = false;
};
} // namespace

/// Checks the table operand: a constant 2-D float tensor with more than one
/// column (tables are constants, so their shape is static) defined outside
/// `lookup`. (The pass's greedy driver hoists constants out of a generic's
/// body; other users of the patterns may not.)
static std::string checkTable(Value table, Operation *lookup) {
  auto type = dyn_cast<RankedTensorType>(table.getType());
  if (!type || type.getRank() != 2)
    return "the table is not a 2-D tensor";
  if (!type.getElementType().isF32() && !type.getElementType().isF16() &&
      !type.getElementType().isBF16())
    return "the table element type is not f32, f16 or bf16";
  auto constant = table.getDefiningOp<arith::ConstantOp>();
  if (!constant || lookup->isAncestor(constant))
    return "the table is not a constant defined outside the lookup";
  if (type.getDimSize(1) == 1)
    return "the table has a single column: packed words and a scale per row "
           "would take more memory than the dense table";
  return "";
}

/// Follows integer casts from `v` back to a value defined outside them.
static Value stripIndexCasts(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
             arith::ExtUIOp, arith::TruncIOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// Ops a lookup body may contain besides the extract and the yield: casts,
/// constants and bounds checks.
static bool isBookkeeping(Operation *op) {
  return isa<arith::ConstantOp, arith::IndexCastOp, arith::IndexCastUIOp,
             arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp, arith::CmpIOp,
             arith::AndIOp, cf::AssertOp, linalg::IndexOp, tensor::DimOp>(op);
}

/// Matches Torch-MLIR's negative-index wrap of `aten.index.Tensor`,
/// `select(cmpi slt %id, 0), addi %id, R, %id`, with `%id` the body's first
/// argument, and records its ops in `ops`. Returns "" on a match whose R is
/// `rows`, a reason when the select is another computation.
static std::string matchNegativeWrap(arith::SelectOp select, Block *body,
                                     int64_t rows,
                                     SmallPtrSetImpl<Operation *> &ops) {
  auto isId = [&](Value v) {
    auto arg = dyn_cast<BlockArgument>(stripIndexCasts(v));
    return arg && arg.getOwner() == body && arg.getArgNumber() == 0;
  };
  auto cmp = select.getCondition().getDefiningOp<arith::CmpIOp>();
  APInt zero, added;
  if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::slt ||
      !isId(cmp.getLhs()) ||
      !matchPattern(cmp.getRhs(), m_ConstantInt(&zero)) || !zero.isZero())
    return "the row index is a select that is not the negative-id wrap "
           "(its condition is not 'id < 0')";
  auto add = select.getTrueValue().getDefiningOp<arith::AddIOp>();
  if (!add || !isId(select.getFalseValue()))
    return "the row index is a select that is not the negative-id wrap "
           "(expected 'id < 0 ? id + rows : id')";
  Value addend = isId(add.getLhs()) ? add.getRhs() : add.getLhs();
  if (!isId(add.getLhs()) && !isId(add.getRhs()))
    return "the row index is a select that is not the negative-id wrap "
           "(the addition does not add to the id)";
  if (!matchPattern(addend, m_ConstantInt(&added)))
    return "the negative-id wrap adds a value that is not a constant";
  if (added.getSExtValue() != rows)
    return "the negative-id wrap adds " + std::to_string(added.getSExtValue()) +
           " to negative ids, not the table's " + std::to_string(rows) +
           " rows";
  ops.insert(select);
  ops.insert(cmp);
  ops.insert(add);
  return "";
}

static FailureOr<LookupMatch> matchGeneric(linalg::GenericOp op,
                                           std::string &why) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1) {
    why = "expected one input (the ids) and one output";
    return failure();
  }
  if (op->getNumResults() != 1) {
    why = "the output is not a tensor (buffer semantics)";
    return failure();
  }
  unsigned loops = op.getNumLoops();
  if (loops < 1) {
    why = "the generic has no loops";
    return failure();
  }
  if (op.getNumParallelLoops() != loops) {
    why = "not all loops are parallel";
    return failure();
  }
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[1].isIdentity()) {
    why = "the output indexing map is not the identity";
    return failure();
  }
  // The ids map is (d0, ..., d[n-2]); aten.index.Tensor's lowering writes
  // the constant 0 for a dimension of size 1 on both sides.
  AffineMap idsMap = maps[0];
  Value ids = op.getDpsInputs()[0];
  auto idsType = dyn_cast<RankedTensorType>(ids.getType());
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  bool dropsLast = idsType && idsMap.getNumResults() == loops - 1;
  for (unsigned i = 0; dropsLast && i + 1 < loops; ++i) {
    AffineExpr e = idsMap.getResult(i);
    auto c = dyn_cast<AffineConstantExpr>(e);
    dropsLast = e == getAffineDimExpr(i, op.getContext()) ||
                (c && c.getValue() == 0 && idsType.getDimSize(i) == 1 &&
                 outType.getDimSize(i) == 1);
  }
  if (!dropsLast) {
    why = "the ids indexing map does not drop exactly the last loop";
    return failure();
  }
  if (!getElementTypeOrSelf(ids.getType()).isSignlessIntOrIndex()) {
    why = "the ids are not integers";
    return failure();
  }

  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto extract = yield.getValues()[0].getDefiningOp<tensor::ExtractOp>();
  if (!extract || extract->getBlock() != body) {
    why = "the body does not yield a tensor.extract";
    return failure();
  }
  Value table = extract.getTensor();
  if (std::string t = checkTable(table, op); !t.empty()) {
    why = t;
    return failure();
  }
  int64_t rows = cast<RankedTensorType>(table.getType()).getDimSize(0);
  // aten.index.Tensor wraps negative ids into [0, rows) before the extract.
  SmallPtrSet<Operation *, 4> wrapOps;
  Value rowIndex = stripIndexCasts(extract.getIndices()[0]);
  if (auto select = rowIndex.getDefiningOp<arith::SelectOp>();
      select && select->getBlock() == body) {
    why = matchNegativeWrap(select, body, rows, wrapOps);
    if (!why.empty())
      return failure();
    rowIndex = stripIndexCasts(select.getFalseValue());
  }
  for (Operation &inner : body->without_terminator())
    if (&inner != extract.getOperation() && !wrapOps.contains(&inner) &&
        !isBookkeeping(&inner)) {
      why = "the body does other work ('" +
            inner.getName().getStringRef().str() + "')";
      return failure();
    }
  // qembed.lookup yields whole rows: the output row length must be the
  // table's column count, statically (a generic reading a slice of the
  // columns is another op).
  int64_t cols = cast<RankedTensorType>(table.getType()).getDimSize(1);
  int64_t outCols =
      cast<RankedTensorType>(op->getResult(0).getType()).getShape().back();
  if (ShapedType::isDynamic(outCols)) {
    why = "the output row length is dynamic; the table has " +
          std::to_string(cols) + " columns";
    return failure();
  }
  if (outCols != cols) {
    why = "the output row length " + std::to_string(outCols) +
          " differs from the table's " + std::to_string(cols) +
          " columns (a slice of the columns)";
    return failure();
  }
  auto row = dyn_cast<BlockArgument>(rowIndex);
  if (!row || row.getOwner() != body || row.getArgNumber() != 0) {
    why = "the row index is not the id read from the ids input";
    return failure();
  }
  auto col = extract.getIndices()[1].getDefiningOp<linalg::IndexOp>();
  if (!col || col.getDim() != loops - 1) {
    why = "the column index is not linalg.index of the last loop";
    return failure();
  }
  return LookupMatch{table, ids, !wrapOps.empty()};
}

/// Returns `ids` with each negative id `i` replaced by `i + rows`, as an
/// elementwise linalg.generic (torch's wrap of negative indices; ids below
/// -rows stay negative and are clamped by the lookup's lowering).
static Value wrapNegativeIds(OpBuilder &b, Location loc, Value ids,
                             int64_t rows) {
  auto type = cast<RankedTensorType>(ids.getType());
  Type elem = type.getElementType();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, ids);
  Value init = tensor::EmptyOp::create(b, loc, sizes, elem);
  AffineMap id = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{ids}, ValueRange{init},
      ArrayRef<AffineMap>{id, id}, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value zero =
            arith::ConstantOp::create(nb, nloc, elem, nb.getZeroAttr(elem));
        Value count = arith::ConstantOp::create(nb, nloc, elem,
                                                nb.getIntegerAttr(elem, rows));
        Value negative = arith::CmpIOp::create(
            nb, nloc, arith::CmpIPredicate::slt, args[0], zero);
        Value shifted = arith::AddIOp::create(nb, nloc, args[0], count);
        Value wrapped =
            arith::SelectOp::create(nb, nloc, negative, shifted, args[0]);
        linalg::YieldOp::create(nb, nloc, wrapped);
      });
  return generic->getResult(0);
}

static std::string checkGather(tensor::GatherOp op) {
  if (std::string t = checkTable(op.getSource(), op); !t.empty())
    return t;
  if (op.getGatherDims() != ArrayRef<int64_t>{0})
    return "gather_dims is not [0]";
  RankedTensorType indices = op.getIndicesType();
  if (indices.getRank() < 2 || indices.getShape().back() != 1)
    return "the indices are not shaped [..., 1]";
  return "";
}

namespace {
/// Raises Torch-MLIR's aten.embedding / index_select / index.Tensor
/// generic. index.Tensor's negative-id wrap is kept as a generic on the ids
/// before the lookup.
struct RaiseEmbeddingGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<LookupMatch> m = matchGeneric(op, why);
    if (failed(m))
      return rewriter.notifyMatchFailure(op, why);
    auto type = cast<RankedTensorType>(op->getResult(0).getType());
    Value ids = m->ids;
    if (m->wrapsNegative)
      ids = wrapNegativeIds(
          rewriter, op.getLoc(), ids,
          cast<RankedTensorType>(m->table.getType()).getDimSize(0));
    rewriter.replaceOpWithNewOp<LookupOp>(op, type, m->table, ids);
    return success();
  }
};

/// Raises `tensor.gather %table[%indices] gather_dims([0])`.
struct RaiseTensorGather : OpRewritePattern<tensor::GatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::GatherOp op,
                                PatternRewriter &rewriter) const override {
    if (std::string why = checkGather(op); !why.empty())
      return rewriter.notifyMatchFailure(op, why);
    Location loc = op.getLoc();
    RankedTensorType indices = op.getIndicesType();
    int64_t k = indices.getRank() - 1; // rank of the ids
    // Fold the trailing unit dimension of the indices into the one before.
    SmallVector<ReassociationIndices> dropUnit;
    for (int64_t i = 0; i + 1 < k; ++i)
      dropUnit.push_back({i});
    dropUnit.push_back({k - 1, k});
    Value ids = tensor::CollapseShapeOp::create(rewriter, loc, op.getIndices(),
                                                dropUnit);
    RankedTensorType table = op.getSourceType();
    SmallVector<int64_t> shape(indices.getShape().drop_back());
    shape.push_back(table.getDimSize(1));
    auto lookupType = RankedTensorType::get(shape, table.getElementType());
    Value rows =
        LookupOp::create(rewriter, loc, lookupType, op.getSource(), ids);
    // gather keeps the gathered dimension as a unit dim unless rank-reduced.
    if (op.getResultType().getRank() != lookupType.getRank()) {
      SmallVector<ReassociationIndices> addUnit;
      for (int64_t i = 0; i < k; ++i)
        addUnit.push_back({i});
      addUnit.push_back({k, k + 1});
      rows = tensor::ExpandShapeOp::create(rewriter, loc, op.getResultType(),
                                           rows, addUnit);
    }
    rewriter.replaceOp(op, rows);
    return success();
  }
};

struct QEmbedRaiseLookupsPass
    : mlir::qembed::impl::QEmbedRaiseLookupsBase<QEmbedRaiseLookupsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Lookups still in the torch dialect (output_type="torch", parsed in
    // generic form) are explained whatever `remarks` says: nothing in such
    // a module can be raised.
    getOperation()->walk([](Operation *op) {
      StringRef name = op->getName().getStringRef();
      if (name == "torch.aten.embedding" || name == "torch.aten.index_select" ||
          name == "torch.aten.index.Tensor" ||
          name == "torch.aten.index.Tensor_hacked_twin")
        op->emitRemark("not raised to qembed.lookup: '")
            << name
            << "' in the torch dialect is not supported; export with "
               "torch_mlir.fx.export_and_import(..., "
               "output_type=\"linalg-on-tensors\") or run torch-mlir's "
               "torch-backend-to-linalg-on-tensors-backend-pipeline first";
      if (std::optional<std::string> why = whyTorchBagNotRaised(op))
        op->emitRemark("not raised to qembed.lookup_bags: ") << *why;
    });
    RewritePatternSet patterns(&getContext());
    populateRaiseLookupsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!remarks)
      return;
    getOperation()->walk([](LookupOp op) {
      op->emitRemark("embedding lookup: ")
          << op.getTable().getType() << " table, ids " << op.getIds().getType();
    });
    getOperation()->walk([](LookupBagsOp op) {
      op->emitRemark("embedding bag lookup (")
          << stringifyBagMode(op.getMode()) << "): " << op.getTable().getType()
          << " table, ids " << op.getIds().getType() << ", offsets "
          << op.getOffsets().getType();
    });
    // Explain every remaining candidate: generics that extract from a
    // tensor, and gathers.
    getOperation()->walk([](Operation *op) {
      std::string why;
      if (auto generic = dyn_cast<linalg::GenericOp>(op);
          generic && isBagCandidate(generic)) {
        if (std::string bag = whyNotRaisedBag(generic); !bag.empty())
          op->emitRemark("not raised to qembed.lookup_bags: ") << bag;
        return;
      }
      if (auto gather = dyn_cast<tensor::GatherOp>(op))
        why = checkGather(gather);
      else if (auto generic = dyn_cast<linalg::GenericOp>(op);
               generic && llvm::any_of(generic.getBody()->getOperations(),
                                       llvm::IsaPred<tensor::ExtractOp>))
        (void)matchGeneric(generic, why);
      if (!why.empty())
        op->emitRemark("not raised to qembed.lookup: ") << why;
    });
  }
};
} // namespace

void mlir::qembed::populateRaiseLookupsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseEmbeddingGeneric, RaiseTensorGather>(patterns.getContext());
  populateRaiseBagsPatterns(patterns);
}
