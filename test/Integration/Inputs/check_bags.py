#!/usr/bin/env python3
"""Compares EmbeddingBag outputs (printMemrefI32 dumps of f32 bit patterns,
or a line of bit patterns written by gen_bags.py --expect) bit for bit:
every file given after --same must hold exactly the bits of the first.
Prints PASS or the first differences."""

import re
import sys


def read_bits(path):
    text = open(path).read()
    if "Unranked Memref" in text:
        text = text.split("data =", 1)[1]
    return [int(t) for t in re.findall(r"-?\d+", text)]


def main():
    paths = sys.argv[1:]
    if len(paths) < 2:
        print("usage: check_bags.py FIRST OTHER...")
        return 2
    first = read_bits(paths[0])
    if not first:
        print("FAIL: no values in", paths[0])
        return 1
    failed = False
    for p in paths[1:]:
        other = read_bits(p)
        if len(other) != len(first):
            print("FAIL: %s has %d values, %s has %d" % (
                p, len(other), paths[0], len(first)))
            failed = True
            continue
        bad = [i for i, (x, y) in enumerate(zip(first, other)) if x != y]
        if bad:
            print("FAIL: %s differs from %s at %d values, first at %d: "
                  "%d vs %d" % (p, paths[0], len(bad), bad[0], other[bad[0]],
                                first[bad[0]]))
            failed = True
    if failed:
        return 1
    print("PASS: %d values identical in %d files" % (len(first), len(paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
