"""GPU timing helpers shared by the bench/gpu scripts (torch only): CUDA
event medians, CUDA graph replay (GPU time without the host's launch path)
and the device's copy bandwidth measured in the same process."""

import statistics

import torch


def median_us(fn, reps=100, warmup=20):
    """Median microseconds of `reps` calls of fn, each between two CUDA
    events (after `warmup` calls). One call per event pair also counts the
    host's launch latency when the GPU idles."""
    for _ in range(warmup):
        fn()
    start = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    end = [torch.cuda.Event(enable_timing=True) for _ in range(reps)]
    for s, e in zip(start, end):
        s.record()
        fn()
        e.record()
    torch.cuda.synchronize()
    return statistics.median(s.elapsed_time(e) for s, e in
                             zip(start, end)) * 1e3


def graph_us(fn, calls=10, reps=30):
    """GPU microseconds per call of fn: `calls` calls captured in one CUDA
    graph, replayed (median of `reps` replays)."""
    fn()
    torch.cuda.synchronize()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        for _ in range(calls):
            fn()
    us = median_us(graph.replay, reps=reps, warmup=3) / calls
    del graph
    return us


def copy_gbs(reps=50):
    """The device's copy bandwidth in GB/s (1 GiB copied, read + write)."""
    x = torch.empty(1 << 30, dtype=torch.uint8, device="cuda").random_()
    y = torch.empty_like(x)
    t = median_us(lambda: y.copy_(x), reps=reps)
    return 2 * x.numel() / (t * 1e-6) / 1e9
