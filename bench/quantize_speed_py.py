#!/usr/bin/env python3
"""The Python half of bench/quantize_speed.sh: reads a bytecode module,
runs qembed.quantize_embeddings(bytes, bytecode=True) on it and writes the
result, as qembed-opt does from the command line. Prints the seconds of
read + quantize + write, the seconds of the call alone, and the process's
peak RSS before the call (after reading the input) and after it, in KiB.
With a sixth argument `file`, runs qembed.quantize_embeddings_file(IN, OUT)
instead (memory-mapped input, output written to the file: no bytes in
Python); the call is then the whole run.
Usage: quantize_speed_py.py IN OUT BITS GROUP SYMMETRIC(0/1) [file]"""

import resource
import sys
import time

import qembed


def main():
    src, dst, bits, group, sym = sys.argv[1:6]
    if sys.argv[6:] == ["file"]:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t0 = time.perf_counter()
        qembed.quantize_embeddings_file(src, dst, bits=int(bits),
                                        group_size=int(group),
                                        symmetric=sym == "1", bytecode=True)
        secs = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print("%.3f %.3f %d %d" % (secs, secs, before, after))
        return
    t0 = time.perf_counter()
    with open(src, "rb") as f:
        data = f.read()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t1 = time.perf_counter()
    out = qembed.quantize_embeddings(data, bits=int(bits),
                                     group_size=int(group),
                                     symmetric=sym == "1", bytecode=True)
    call = time.perf_counter() - t1
    with open(dst, "wb") as f:
        f.write(out)
    secs = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("%.3f %.3f %d %d" % (secs, call, before, after))


if __name__ == "__main__":
    main()
