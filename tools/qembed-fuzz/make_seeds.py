#!/usr/bin/env python3
"""Writes qembed-fuzz's seed corpus: every lit input under test/, split at
`// -----` like --split-input-file, comment lines dropped. Each chunk becomes
two seeds: one whose selector byte picks the pass its test file runs (from
the RUN lines) and one with a round-robin selector (bit 7, the bytecode
round trip, set on every other chunk).

usage: make_seeds.py TEST_DIR OUT_DIR
"""

import hashlib
import pathlib
import re
import sys

# Indices into kPipelines in qembed-fuzz.cpp; keep the two in sync.
NUM_PIPELINES = 18
BY_RUN_LINE = [
    ("qembed-raise-lookups", 0),
    ("qembed-quantize", 1),
    ("quantize-embeddings", 4),
    ("canonicalize", 7),
    ("qembed-expand-gathers", 8),
    ("qembed-to-linalg", 9),
    ("qembed-cpu-pipeline", 10),
    ("qembed-gather-to-gpu", 13),
    ("target=cuda", 15),
    ("qembed-to-iree", 14),
    ("qembed-gpu-pipeline", 17),
]


def main():
    test_dir, out_dir = map(pathlib.Path, sys.argv[1:3])
    out_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(test_dir.rglob("*.mlir")):
        text = path.read_text()
        runs = " ".join(re.findall(r"RUN:(.*)", text))
        chosen = next((i for key, i in BY_RUN_LINE if key in runs), 0)
        for chunk in re.split(r"(?m)^// -----.*$", text):
            body = "\n".join(line for line in chunk.splitlines()
                             if not line.lstrip().startswith("//")).strip()
            if not body:
                continue
            for selector in (chosen, (count % NUM_PIPELINES) | (0x80 * (count % 2))):
                data = bytes([selector]) + body.encode() + b"\n"
                name = hashlib.sha1(data).hexdigest()
                (out_dir / name).write_bytes(data)
            count += 1
    print(f"{count} chunks -> {out_dir}")


if __name__ == "__main__":
    main()
