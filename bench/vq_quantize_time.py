#!/usr/bin/env python3
"""Time of codebook vector quantization (qembed.quantize_vq, the numerics of
--qembed-quantize format=vq) of a Llama-3-size table: 128256 x 4096 f32,
random normal (x 0.02), vq-dim=4 vq-entries=256, all cores. Prints wall
and process CPU time (all threads) and the load average, which matters on
a shared machine. Needs ~2.5 GB of memory.
Usage: python3 bench/vq_quantize_time.py"""

import time, os, numpy as np, qembed
rng = np.random.default_rng(0)
t = rng.standard_normal((128256, 4096), dtype=np.float32)
t *= 0.02
for kw in [dict(dim=4, entries=256, stages=1)]:
    t0 = time.time(); c0 = time.process_time()
    q = qembed.quantize_vq(t, **kw)
    dt = time.time() - t0; dc = time.process_time() - c0
    print(kw, "threads=0 (all %d cores)" % os.cpu_count(),
          "quantize wall %.1f s, process CPU %.1f s" % (dt, dc),
          "bits/param %.4f sqnr %.2f dB" % (q.bits_per_param, q.sqnr_db),
          "load avg %s" % (os.getloadavg(),), flush=True)
