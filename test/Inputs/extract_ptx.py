#!/usr/bin/env python3
"""Writes the PTX embedded in a module: the `assembly` objects of gpu.binary
ops (--qembed-gpu-pipeline format=isa) and the inline `data` objects of IREE
hal.executable.source ops (--qembed-to-iree target=cuda), merged into one
PTX module (the .version/.target/.address_size header of the first object,
then every object's body). Exits non-zero if the module holds no PTX."""
import re
import sys

text = open(sys.argv[1]).read()
out = []
for m in re.finditer(r'assembly = "((?:[^"\\]|\\.)*)"', text):
    out.append(re.sub(r"\\([0-9A-Fa-f]{2})",
                      lambda x: chr(int(x.group(1), 16)), m.group(1)))
for m in re.finditer(r'#hal\.executable\.object<\{data = dense<"0x([0-9A-F]*)">',
                     text):
    out.append(bytes.fromhex(m.group(1)).rstrip(b"\0").decode())
if not out:
    sys.exit("no PTX found in " + sys.argv[1])
HEADER = re.compile(r"^\.(version|target|address_size)\b.*$", re.M)
merged = [out[0]] + [HEADER.sub("", ptx) for ptx in out[1:]]
open(sys.argv[2], "w").write("\n".join(merged))
