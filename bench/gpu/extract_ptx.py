#!/usr/bin/env python3
"""Writes the PTX held in the gpu.binary objects of a module lowered with
format=isa (one file, all objects concatenated)."""
import re
import sys

text = open(sys.argv[1]).read()
out = []
for m in re.finditer(r'assembly = "((?:[^"\\]|\\.)*)"', text):
    out.append(re.sub(r"\\([0-9A-Fa-f]{2})",
                      lambda x: chr(int(x.group(1), 16)), m.group(1)))
if not out:
    sys.exit("no PTX found in " + sys.argv[1])
open(sys.argv[2], "w").write("\n".join(out))
