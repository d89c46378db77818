//===- RaiseBags.cpp - EmbeddingBag lookups to qembed.lookup_bags ---------===//
//
// Raises Torch-MLIR's lowering of `aten.embedding_bag` (what the fx importer
// with output_type="linalg-on-tensors" and IREE's --compile-to=input emit
// for torch.nn.EmbeddingBag(mode="sum")) to qembed.lookup_bags.
//
// What the front ends emit (torch 2.11, torch-mlir's fx importer, IREE 3.13
// --compile-to=input on the torch dialect; the two are identical):
//
//   mode="sum", 1-D input + offsets (N ids, B offsets):
//     %fill = linalg.fill ins(%cst0 : f32) outs(tensor.empty : tensor<BxD>)
//     linalg.generic {indexing_maps = [(d0, d1, d2) -> (d1),      // ids
//                                      (d0, d1, d2) -> (d0),      // offsets
//                                      (d0, d1, d2) -> (d0, d2)], // out
//                     iterator_types = ["parallel", "reduction", "parallel"]}
//         ins(%ids, %offsets) outs(%fill) {
//     ^bb0(%id: i64, %off: i64, %out: f32):
//       %b1 = arith.addi (index_cast (linalg.index 0)), 1
//       %last = arith.cmpi eq, %b1, B
//       %next = tensor.extract %offsets[select %last, 0, %b1]
//       %end = arith.select %last, N, %next
//       %i = index_cast (linalg.index 1)
//       %in = andi (ori (cmpi slt %off, %i), (cmpi eq %off, %i)),
//                  (cmpi slt %i, %end)
//       %v = tensor.extract %table[index_cast %id, linalg.index 2]
//       linalg.yield select %in, (addf %v, %out), %out
//     }
//     (quadratic: every bag visits every id).
//   2-D input [B, K] (fixed bags): the same generic on
//     tensor.collapse_shape %ids [[0, 1]] with offsets from a generic
//     yielding index * K.
//   Not lowered by torch-mlir at all (the fx importer fails on
//   `torch.aten.embedding_bag.padding_idx`, both for linalg-on-tensors and
//   for IREE's input conversion): mode="mean", mode="max",
//   include_last_offset=True, and padding_idx (a tensor.cast error).
//   per_sample_weights with mode="sum" IS lowered, to the generic above
//   without the weights: torch-mlir drops them, so such a module computes a
//   plain sum (a front-end bug no pass after it can see).
//
//===----------------------------------------------------------------------===//

#include "RaiseBags.h"

#include "qembed/Dialect/QEmbed/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::qembed;

/// Follows integer casts from `v` back to the value they convert.
static Value stripCasts(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
             arith::ExtUIOp, arith::TruncIOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// True when `v` is (a cast of) `linalg.index dim`.
static bool isLoopIndex(Value v, unsigned dim) {
  auto index = stripCasts(v).getDefiningOp<linalg::IndexOp>();
  return index && index.getDim() == dim;
}

/// True when `v` is (a cast of) argument `n` of `body`.
static bool isBodyArg(Value v, Block *body, unsigned n) {
  auto arg = dyn_cast<BlockArgument>(stripCasts(v));
  return arg && arg.getOwner() == body && arg.getArgNumber() == n;
}

/// True when `v` is an integer constant equal to `expected`, or (for a
/// dynamic size) `tensor.dim %of, 0`.
static bool isSizeOf(Value v, Value of) {
  int64_t size = cast<RankedTensorType>(of.getType()).getDimSize(0);
  APInt c;
  if (matchPattern(stripCasts(v), m_ConstantInt(&c)))
    return !ShapedType::isDynamic(size) && c.getSExtValue() == size;
  auto dim = stripCasts(v).getDefiningOp<tensor::DimOp>();
  std::optional<int64_t> index = dim ? dim.getConstantIndex() : std::nullopt;
  return dim && dim.getSource() == of && index && *index == 0;
}

/// Matches `cmpi pred, lhs, rhs` with lhs/rhs satisfying `l`/`r`, also in
/// the swapped spelling.
template <typename L, typename R>
static bool matchCmp(Value v, arith::CmpIPredicate pred,
                     arith::CmpIPredicate swapped, L l, R r) {
  auto cmp = v.getDefiningOp<arith::CmpIOp>();
  if (!cmp)
    return false;
  if (cmp.getPredicate() == pred && l(cmp.getLhs()) && r(cmp.getRhs()))
    return true;
  return cmp.getPredicate() == swapped && l(cmp.getRhs()) && r(cmp.getLhs());
}

/// Matches `b + 1`, b the bag loop index (linalg.index 0).
static bool isNextBag(Value v) {
  auto add = stripCasts(v).getDefiningOp<arith::AddIOp>();
  if (!add)
    return false;
  APInt one;
  auto isOne = [&](Value x) {
    return matchPattern(stripCasts(x), m_ConstantInt(&one)) && one.isOne();
  };
  return (isLoopIndex(add.getLhs(), 0) && isOne(add.getRhs())) ||
         (isLoopIndex(add.getRhs(), 0) && isOne(add.getLhs()));
}

/// Matches the end of bag b: `select (b + 1 == B), N, offsets[b + 1]`
/// (the extract index may itself be `select (b + 1 == B), 0, b + 1`).
static bool isBagEnd(Value v, Value ids, Value offsets) {
  auto select = stripCasts(v).getDefiningOp<arith::SelectOp>();
  if (!select)
    return false;
  auto isLast = [&](Value c) {
    return matchCmp(c, arith::CmpIPredicate::eq, arith::CmpIPredicate::eq,
                    isNextBag, [&](Value x) { return isSizeOf(x, offsets); });
  };
  if (!isLast(select.getCondition()) || !isSizeOf(select.getTrueValue(), ids))
    return false;
  auto next =
      stripCasts(select.getFalseValue()).getDefiningOp<tensor::ExtractOp>();
  if (!next || next.getTensor() != offsets)
    return false;
  Value index = next.getIndices()[0];
  if (isNextBag(index))
    return true;
  auto guarded = stripCasts(index).getDefiningOp<arith::SelectOp>();
  APInt zero;
  return guarded && guarded.getCondition() == select.getCondition() &&
         matchPattern(stripCasts(guarded.getTrueValue()),
                      m_ConstantInt(&zero)) &&
         zero.isZero() && isNextBag(guarded.getFalseValue());
}

/// Matches the bag-membership condition `offsets[b] <= i && i < end_b`.
static bool isInBag(Value v, Block *body, Value ids, Value offsets) {
  auto both = v.getDefiningOp<arith::AndIOp>();
  if (!both)
    return false;
  auto isOff = [&](Value x) { return isBodyArg(x, body, 1); };
  auto isPos = [&](Value x) { return isLoopIndex(x, 1); };
  auto isLower = [&](Value c) {
    using P = arith::CmpIPredicate;
    if (matchCmp(c, P::sle, P::sge, isOff, isPos))
      return true;
    auto either = c.getDefiningOp<arith::OrIOp>();
    if (!either)
      return false;
    auto lt = [&](Value x) {
      return matchCmp(x, P::slt, P::sgt, isOff, isPos);
    };
    auto eq = [&](Value x) { return matchCmp(x, P::eq, P::eq, isOff, isPos); };
    return (lt(either.getLhs()) && eq(either.getRhs())) ||
           (eq(either.getLhs()) && lt(either.getRhs()));
  };
  auto isUpper = [&](Value c) {
    return matchCmp(c, arith::CmpIPredicate::slt, arith::CmpIPredicate::sgt,
                    isPos, [&](Value x) { return isBagEnd(x, ids, offsets); });
  };
  return (isLower(both.getLhs()) && isUpper(both.getRhs())) ||
         (isUpper(both.getLhs()) && isLower(both.getRhs()));
}

/// True when `v` is a splat +0.0 constant or a linalg.fill of +0.0.
static bool isZeroInit(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  APFloat zero(0.0);
  return matchPattern(fill.getInputs()[0], m_ConstantFloat(&zero)) &&
         zero.isPosZero();
}

bool mlir::qembed::isBagCandidate(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumLoops() != 3)
    return false;
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  return iters[1] == utils::IteratorType::reduction &&
         llvm::any_of(op.getBody()->getOperations(),
                      llvm::IsaPred<tensor::ExtractOp>);
}

namespace {
/// A recognised bag generic.
struct BagMatch {
  Value table, ids, offsets;
};
} // namespace

static FailureOr<BagMatch> matchBagGeneric(linalg::GenericOp op,
                                           std::string &why) {
  auto fail = [&](StringRef reason) {
    why = reason.str();
    return failure();
  };
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1)
    return fail("expected two inputs (ids, offsets) and one tensor output");
  if (op.getNumLoops() != 3 ||
      op.getIteratorTypesArray() !=
          SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                           utils::IteratorType::reduction,
                                           utils::IteratorType::parallel})
    return fail("the loops are not (bag: parallel, id: reduction, column: "
                "parallel)");
  MLIRContext *ctx = op.getContext();
  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
             d2 = getAffineDimExpr(2, ctx);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(3, 0, {d1}, ctx) ||
      maps[1] != AffineMap::get(3, 0, {d0}, ctx) ||
      maps[2] != AffineMap::get(3, 0, {d0, d2}, ctx))
    return fail("the indexing maps are not ids (d1), offsets (d0) and "
                "output (d0, d2)");
  Value ids = op.getDpsInputs()[0], offsets = op.getDpsInputs()[1];
  if (!isa<RankedTensorType>(ids.getType()) ||
      !isa<RankedTensorType>(offsets.getType()))
    return fail("the ids or offsets are not tensors");
  if (!getElementTypeOrSelf(ids.getType()).isSignlessIntOrIndex() ||
      !getElementTypeOrSelf(offsets.getType()).isSignlessIntOrIndex())
    return fail("the ids or offsets are not integers");
  if (!isZeroInit(op.getDpsInits()[0]))
    return fail("the output is not initialised with linalg.fill of +0.0");

  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto select = yield.getValues()[0].getDefiningOp<arith::SelectOp>();
  Value out = body->getArgument(2);
  if (!select || select.getFalseValue() != out)
    return fail("the body does not yield 'select %in_bag, %sum, %out'");
  auto add = select.getTrueValue().getDefiningOp<arith::AddFOp>();
  if (!add || (add.getLhs() != out && add.getRhs() != out))
    return fail("the reduction is not an addf into the output (mode=sum); "
                "other reductions (max) are not raised");
  Value v = add.getLhs() == out ? add.getRhs() : add.getLhs();
  auto extract = v.getDefiningOp<tensor::ExtractOp>();
  if (!extract || extract->getBlock() != body)
    return fail("the summed value is not a tensor.extract from the table "
                "(per_sample_weights or another computation)");
  Value table = extract.getTensor();
  auto tableType = dyn_cast<RankedTensorType>(table.getType());
  if (!tableType || tableType.getRank() != 2)
    return fail("the table is not a 2-D tensor");
  Type elem = tableType.getElementType();
  if (!elem.isF32() && !elem.isF16() && !elem.isBF16())
    return fail("the table element type is not f32, f16 or bf16");
  auto constant = table.getDefiningOp<arith::ConstantOp>();
  if (!constant || op->isAncestor(constant))
    return fail("the table is not a constant defined outside the lookup");
  if (tableType.getDimSize(1) == 1)
    return fail("the table has a single column: packed words and a scale "
                "per row would take more memory than the dense table");
  if (!isBodyArg(extract.getIndices()[0], body, 0))
    return fail("the row index is not the id read from the ids input");
  if (!isLoopIndex(extract.getIndices()[1], 2) ||
      !isa<linalg::IndexOp>(extract.getIndices()[1].getDefiningOp()))
    return fail("the column index is not linalg.index of the last loop");
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  if (outType.getDimSize(1) != tableType.getDimSize(1))
    return fail("the output row length differs from the table's columns");
  if (outType.getElementType() != elem)
    return fail("the output element type differs from the table's");
  if (!isInBag(select.getCondition(), body, ids, offsets))
    return fail("the condition is not 'offsets[b] <= i < end of bag b' "
                "(end: offsets[b + 1], the id count for the last bag)");
  for (Operation &inner : body->without_terminator())
    if (!isa<arith::ConstantOp, arith::IndexCastOp, arith::IndexCastUIOp,
             arith::ExtSIOp, arith::ExtUIOp, arith::TruncIOp, arith::CmpIOp,
             arith::AndIOp, arith::OrIOp, arith::AddIOp, arith::SelectOp,
             arith::AddFOp, cf::AssertOp, linalg::IndexOp, tensor::DimOp,
             tensor::ExtractOp>(inner))
      return fail("the body does other work ('" +
                  inner.getName().getStringRef().str() + "')");
  return BagMatch{table, ids, offsets};
}

std::string mlir::qembed::whyNotRaisedBag(linalg::GenericOp op) {
  std::string why;
  (void)matchBagGeneric(op, why);
  return why;
}

namespace {
/// Raises Torch-MLIR's aten.embedding_bag (mode sum) generic to
/// qembed.lookup_bags; the linalg.fill that zeroed its output dies with it.
struct RaiseEmbeddingBagGeneric : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    FailureOr<BagMatch> m = matchBagGeneric(op, why);
    if (failed(m))
      return rewriter.notifyMatchFailure(op, why);
    rewriter.replaceOpWithNewOp<LookupBagsOp>(op, op->getResult(0).getType(),
                                              m->table, m->ids, m->offsets,
                                              BagMode::Sum);
    return success();
  }
};
} // namespace

void mlir::qembed::populateRaiseBagsPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseEmbeddingBagGeneric>(patterns.getContext());
}

/// The integer value of a torch.constant.int / torch.constant.bool operand,
/// if it is one.
static std::optional<int64_t> torchConstant(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  StringRef name = def->getName().getStringRef();
  if (name != "torch.constant.int" && name != "torch.constant.bool")
    return std::nullopt;
  // A BoolAttr is an i1 IntegerAttr: check it first (true is not -1).
  if (auto b = def->getAttrOfType<BoolAttr>("value"))
    return int64_t(b.getValue());
  if (auto i = def->getAttrOfType<IntegerAttr>("value"))
    return i.getValue().getSExtValue();
  return std::nullopt;
}

std::optional<std::string> mlir::qembed::whyTorchBagNotRaised(Operation *op) {
  StringRef name = op->getName().getStringRef();
  if (name != "torch.aten.embedding_bag.padding_idx" &&
      name != "torch.aten.embedding_bag" &&
      name != "torch.aten._embedding_bag" &&
      name != "torch.aten._embedding_bag_forward_only")
    return std::nullopt;
  // Operands: weight, indices, offsets, scale_grad_by_freq, mode, sparse,
  // per_sample_weights, include_last_offset[, padding_idx].
  std::string why = "'" + name.str() +
                    "' in the torch dialect is not "
                    "supported; export with "
                    "torch_mlir.fx.export_and_import(..., "
                    "output_type=\"linalg-on-tensors\")";
  std::vector<std::string> notLowered;
  bool droppedWeights = false;
  if (op->getNumOperands() >= 8) {
    std::optional<int64_t> mode = torchConstant(op->getOperand(4));
    if (mode && *mode == 1)
      notLowered.push_back("mode=\"mean\"");
    if (mode && *mode == 2)
      notLowered.push_back("mode=\"max\"");
    std::optional<int64_t> last = torchConstant(op->getOperand(7));
    if (last && *last)
      notLowered.push_back("include_last_offset=True");
    Operation *weights = op->getOperand(6).getDefiningOp();
    droppedWeights =
        !weights || weights->getName().getStringRef() != "torch.constant.none";
    if (op->getNumOperands() >= 9) {
      Operation *pad = op->getOperand(8).getDefiningOp();
      std::optional<int64_t> padIdx = torchConstant(op->getOperand(8));
      if (pad && pad->getName().getStringRef() != "torch.constant.none" &&
          (!padIdx || *padIdx != -1))
        notLowered.push_back("padding_idx");
    }
  }
  if (!notLowered.empty()) {
    why += ", but torch-mlir (and IREE's torch input) cannot lower ";
    for (size_t i = 0; i < notLowered.size(); ++i)
      why += (i ? ", " : "") + notLowered[i];
    why += " (it fails on them; only mode=\"sum\" becomes a linalg.generic "
           "qembed raises)";
  }
  if (droppedWeights)
    why += "; beware: torch-mlir lowers per_sample_weights as a plain sum "
           "(it drops the weights), so qembed cannot see or raise them";
  return why;
}
