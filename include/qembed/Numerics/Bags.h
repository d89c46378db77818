//===- Bags.h - Fused gather + bag reduction on the CPU ---------*- C++ -*-===//
//
// The reference (and CPU implementation) of qembed.gather_bags /
// qembed.lookup_bags: torch.nn.EmbeddingBag(mode="sum"|"mean") over a packed
// table, without densifying it. No MLIR dependency.
//
// Accumulation, defined to be what PyTorch's CPU embedding_bag computes for
// f32 and f16 tables (checked bit for bit; bf16 is not: see below): every
// row value (the dequantized element rounded to the output type, as
// gatherRows writes it) is widened to f32 and added in bag order to an f32
// accumulator starting at +0.0; the sum is rounded once to the output type.
// `mean` divides that rounded sum, in f32, by the bag's id count and rounds
// the quotient to the output type; an empty bag is all zeros.
// (PyTorch 2.11's CPU bf16 embedding_bag is not the correctly rounded f32
// sum: it differs from this rule by up to two bf16 ulps of the bag's
// magnitude in python/tests/test_embedding_bag.py.)
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_NUMERICS_BAGS_H
#define QEMBED_NUMERICS_BAGS_H

#include "qembed/Numerics/Gather.h"

namespace qembed {

/// Reduction of the rows of a bag.
enum class BagMode : uint8_t { Sum, Mean };

/// The ids of bag `bag` are positions [begin, end) of the ids array: bag b
/// starts at offsets[b] and ends at offsets[b + 1] (the last bag at
/// `numIds`), both clamped into [0, numIds]; end <= begin is an empty bag.
void bagBounds(const void *offsets, IndexKind offsetKind, int64_t numBags,
               int64_t numIds, int64_t bag, int64_t &begin, int64_t &end);

/// Writes one reduced row per bag into `out` (numBags x cols of `outKind`),
/// with the accumulation described above. Ids outside [0, rows) are clamped
/// to the nearest row. `table` must pass checkGather.
void gatherBags(const PackedTableView &table, const void *ids, IndexKind idKind,
                int64_t numIds, const void *offsets, IndexKind offsetKind,
                int64_t numBags, BagMode mode, FloatKind outKind, void *out);

/// The same reduction over a dense row-major `rows x cols` table of
/// `tableKind` (the output has the table's type): what qembed.lookup_bags
/// computes, and gatherBags on the dequantized table bit for bit.
void lookupBags(const void *table, FloatKind tableKind, int64_t rows,
                int64_t cols, const void *ids, IndexKind idKind, int64_t numIds,
                const void *offsets, IndexKind offsetKind, int64_t numBags,
                BagMode mode, void *out);

} // namespace qembed

#endif // QEMBED_NUMERICS_BAGS_H
