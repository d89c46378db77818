"""QuantizedEmbeddingBag on CUDA (qembed's generated EmbeddingBag kernel
through qembed's runtime): bit-exact against an EmbeddingBag written here in
plain torch (the rows of test_torch_cuda.reference, added in bag order in
f32, rounded once; mean divides that rounded sum by the bag size in f32)
and against the CPU path when the extension is present. Sum and mean,
symmetric and asymmetric, f32/f16/bf16, int32/int64 ids and offsets,
include_last_offset, 2-D input, empty bags, ids and offsets out of range
(clamped), no bags, 4096 bags; in CUDA graph replay.

Run on a GPU machine: python3 -m pytest -q python/tests/gpu"""

import pytest
import torch

from qembed import torch as qtorch
from qembed.torch import QuantizedEmbeddingBag

from test_torch_cuda import ROWS, COLS, random_module, reference, same_bits

pytestmark = pytest.mark.cuda

# bits, group, symmetric, scale dtype, output dtype, mode
CONFIGS = [(4, 64, True, "f16", "f16", "sum"),
           (8, 0, True, "f32", "f32", "mean"),
           (3, 32, False, "bf16", "bf16", "sum"),
           (2, 64, False, "f16", "f16", "mean")]
INDEX = (torch.int64, torch.int32)
# Row lengths that are not a multiple of the 16-byte slice: the kernel takes
# one column per thread there.
ODD_CONFIGS = [((8, 0, True, "f16", "f16", "sum"), 100),
               ((3, 0, False, "f32", "f32", "mean"), 98)]


def bag_module(bits, group, symmetric, scale, out, mode,
               include_last_offset=False, cols=COLS):
    m = random_module(bits, group, symmetric, scale, out, cols=cols,
                      seed=bits * 10 + group)
    return QuantizedEmbeddingBag(
        m.packed, m.scales, m.zero_points, embedding_dim=cols, bits=bits,
        group_size=group, mode=mode, include_last_offset=include_last_offset,
        dtype=m.dtype).cuda()


def bags_reference(m, ids, offsets, include_last_offset):
    """EmbeddingBag over the reference rows, in plain torch: bag b is
    ids[begin:end] with offsets clamped into [0, len(ids)]; f32 sums in bag
    order (one position of every bag at a time), rounded once."""
    ids, offsets = ids.cpu().long(), offsets.cpu().long()
    n = ids.shape[0]
    bags = offsets.shape[0] - (1 if include_last_offset else 0)
    cuts = offsets.clamp(0, n)
    begin = cuts[:bags]
    end = cuts[1:bags + 1] if include_last_offset else torch.cat(
        [cuts[1:bags], torch.tensor([n])])
    end = torch.maximum(end, begin)
    rows = reference(m, ids.cuda()).float().cpu()
    acc = torch.zeros(bags, m.embedding_dim)
    count = end - begin
    for k in range(int(count.max()) if bags else 0):
        live = k < count
        pos = (begin + k).clamp(max=max(n - 1, 0))
        acc += torch.where(live[:, None], rows[pos] if n else acc, 0.0)
    total = acc.to(m.dtype)
    if m.mode == "mean":
        mean = (total.float() / count.clamp(min=1)[:, None].float()).to(
            m.dtype)
        total = torch.where((count > 0)[:, None], mean, total)
    return total.cuda()


def random_bags(gen, bags, most, include_last_offset):
    """ids and offsets of `bags` bags of 0..most ids each (some out of
    range); with include_last_offset the extra last offset ends them."""
    sizes = torch.randint(0, most + 1, (bags,), generator=gen)
    offsets = torch.cat([torch.zeros(1, dtype=torch.long),
                         sizes.cumsum(0)])
    ids = torch.randint(-3, ROWS + 3, (int(offsets[-1]),), generator=gen)
    if not include_last_offset:
        offsets = offsets[:-1]
    return ids, offsets


@pytest.mark.parametrize("include_last_offset", [False, True])
@pytest.mark.parametrize("config", CONFIGS)
def test_bags_bit_exact(config, include_last_offset):
    m = bag_module(*config, include_last_offset=include_last_offset)
    gen = torch.Generator().manual_seed(7)
    for bags, most in ((1, 1), (5, 3), (300, 9), (4096, 40)):
        ids, offsets = random_bags(gen, bags, most, include_last_offset)
        want = bags_reference(m, ids, offsets, include_last_offset)
        for id_dtype in INDEX:
            for offset_dtype in INDEX:
                got = m(ids.to(id_dtype).cuda(),
                        offsets.to(offset_dtype).cuda())
                assert same_bits(got, want), (bags, id_dtype, offset_dtype)
    if qtorch.qembed.extension_available():  # the CPU path agrees
        ids, offsets = random_bags(gen, 50, 6, include_last_offset)
        assert same_bits(m(ids.cuda(), offsets.cuda()).cpu(),
                         m.cpu()(ids, offsets))


@pytest.mark.parametrize("config,cols", ODD_CONFIGS)
def test_bags_odd_row_length(config, cols):
    m = bag_module(*config, cols=cols)
    gen = torch.Generator().manual_seed(11)
    for bags, most in ((3, 2), (700, 12)):
        ids, offsets = random_bags(gen, bags, most, False)
        assert same_bits(m(ids.cuda(), offsets.cuda()),
                         bags_reference(m, ids, offsets, False)), bags


@pytest.mark.parametrize("config", CONFIGS)
def test_bags_edges(config):
    m = bag_module(*config)
    # Empty bags (first, middle, last), offsets past the ids and negative.
    ids = torch.tensor([5, ROWS - 1, 0, 7, -4, ROWS + 9])
    for offsets in ([0, 0, 2, 2, 6], [-3, 1, 4, 99], [0], [6, 2, 4]):
        offsets = torch.tensor(offsets)
        assert same_bits(m(ids.cuda(), offsets.cuda()),
                         bags_reference(m, ids, offsets, False)), offsets
    # No ids: every bag empty (zeros); no bags: an empty result.
    none = torch.empty(0, dtype=torch.long)
    got = m(none.cuda(), torch.tensor([0, 0, 0]).cuda())
    assert got.shape == (3, COLS) and not got.float().abs().sum()
    assert m(ids.cuda(), none.cuda()).shape == (0, COLS)
    # A 2-D input: fixed bags of 4.
    grid = torch.randint(0, ROWS, (33, 4))
    flat_offsets = torch.arange(33) * 4
    assert same_bits(m(grid.cuda()),
                     bags_reference(m, grid.reshape(-1), flat_offsets, False))
    # include_last_offset: the last offset ends the last bag, ids after it
    # are not read; a 2-D input still has one bag per row.
    last = bag_module(*config, include_last_offset=True)
    offsets = torch.tensor([0, 2, 4])
    assert same_bits(last(ids.cuda(), offsets.cuda()),
                     bags_reference(last, ids, offsets, True))
    assert same_bits(last(grid.cuda()),
                     bags_reference(last, grid.reshape(-1), flat_offsets,
                                    False))
    # A packed table that is not 16-byte aligned is refused, not read.
    shifted = QuantizedEmbeddingBag(
        last.packed.new_empty(last.packed.numel() + 1)[1:].view(
            last.packed.shape), last.scales, last.zero_points,
        embedding_dim=COLS, bits=last.bits, group_size=last.group_size,
        mode=last.mode, dtype=last.dtype)
    with pytest.raises(ValueError, match="16-byte aligned"):
        shifted(ids.cuda(), offsets.cuda())
    with pytest.raises(ValueError, match="at least one offset"):
        last(ids.cuda(), none.cuda())
    with pytest.raises(ValueError, match="is on"):
        m(ids, offsets.cuda())


def test_bags_cuda_graph():
    m = bag_module(*CONFIGS[3], include_last_offset=True)
    gen = torch.Generator().manual_seed(3)
    ids, offsets = random_bags(gen, 256, 12, True)
    ids, offsets = ids.cuda(), offsets.cuda()
    want = m(ids, offsets)  # loads the kernel eagerly
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        out = m(ids, offsets)
    graph.replay()
    torch.cuda.synchronize()
    assert same_bits(out, want)
