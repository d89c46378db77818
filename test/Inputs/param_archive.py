"""Writes and dumps parameter archives for the --qembed-quantize-globals
lit tests, independently of qembed's C++ reader and writer.

  param_archive.py write OUT.irpa|OUT.safetensors|OUT.gguf KEY=DTYPE:RxC ...
      table (r, c) = (r * C + c) * 0.25 - 3.0 in DTYPE (f32, f16, bf16)
  param_archive.py garbage OUT          bytes that are no archive
  param_archive.py truncated OUT        an IRPA file cut inside its header
  param_archive.py dump FILE            one line per entry: key, dtype,
                                        shape, bytes as uppercase hex
"""

import json
import struct
import sys

import numpy as np


def table(dtype, rows, cols):
    t = (np.arange(rows * cols, dtype=np.float32) * 0.25 - 3.0).reshape(
        rows, cols)
    if dtype == "f32":
        return "F32", t.tobytes()
    if dtype == "f16":
        return "F16", t.astype(np.float16).tobytes()
    assert dtype == "bf16"
    return "BF16", (t.view(np.uint32) >> 16).astype(np.uint16).tobytes()


def write_irpa(path, entries):
    """IRPA v0 (IREE's parameter_archive.h): 88-byte header, 80-byte
    aligned data entries, names, 64-byte aligned storage."""
    n = len(entries)
    entry_off, entry_len = 96, 80 * n
    meta_off = entry_off + entry_len
    names = b"".join(k.encode() for k, _, _, _ in entries)
    storage_off = (meta_off + len(names) + 63) // 64 * 64
    offs, at = [], 0
    for _, _, _, data in entries:
        offs.append(at)
        at = (at + len(data) + 63) // 64 * 64
    out = struct.pack("<IHHQQQQ", 0x41505249, 0, 0, 88, 0, 0, n)
    out += struct.pack("<6Q", entry_off, entry_len, meta_off, len(names),
                       storage_off, at)
    out += b"\0" * (entry_off - len(out))
    name_at = 0
    for (key, _, _, data), off in zip(entries, offs):
        e = struct.pack("<QIQQQQQQQQ", 76, 2, 0, name_at, len(key), 0, 0, 64,
                        off, len(data))
        out += e + b"\0" * (80 - len(e))
        name_at += len(key)
    out += names + b"\0" * (storage_off - meta_off - len(names))
    storage = bytearray(at)
    for (_, _, _, data), off in zip(entries, offs):
        storage[off:off + len(data)] = data
    open(path, "wb").write(out + bytes(storage))


def write_safetensors(path, entries):
    header, at = {}, 0
    for key, dtype, shape, data in entries:
        header[key] = {"dtype": dtype, "shape": shape,
                       "data_offsets": [at, at + len(data)]}
        at += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h +
                           b"".join(e[3] for e in entries))


def write_gguf(path, entries):
    """GGUF v3 (llama.cpp): metadata (a string, an array and
    general.alignment = 32, which readers must skip or read), tensor infos
    with dims innermost first, 32-byte aligned data."""
    def string(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b
    ggml = {"F32": 0, "F16": 1, "BF16": 30}
    out = b"GGUF" + struct.pack("<IQQ", 3, len(entries), 3)
    out += string("general.name") + struct.pack("<I", 8) + string("tiny")
    out += string("tokenizer.scores") + struct.pack("<IIQ", 9, 6, 2) + \
        struct.pack("<2f", 0.5, 1.5)
    out += string("general.alignment") + struct.pack("<II", 4, 32)
    data, at = b"", 0
    for key, dtype, shape, blob in entries:
        out += string(key) + struct.pack("<IQQIQ", 2, shape[1], shape[0],
                                         ggml[dtype], at)
        pad = (-len(blob)) % 32
        data += blob + b"\0" * pad
        at += len(blob) + pad
    out += b"\0" * ((-len(out)) % 32)
    open(path, "wb").write(out + data)


def dump(path):
    data = open(path, "rb").read()
    if struct.unpack_from("<I", data)[0] == 0x41505249:
        count = struct.unpack_from("<Q", data, 32)[0]
        eo, _, mo, _, so, _ = struct.unpack_from("<6Q", data, 40)
        for i in range(count):
            e = eo + 80 * i
            _, kind, _, no, nl = struct.unpack_from("<QIQQQ", data, e)
            off, ln = struct.unpack_from("<QQ", data, e + 60)
            key = data[mo + no:mo + no + nl].decode()
            print(key, "-", "-", data[so + off:so + off + ln].hex().upper())
        return
    n = struct.unpack_from("<Q", data)[0]
    header = json.loads(data[8:8 + n])
    for key, t in sorted(header.items()):
        b, e = t["data_offsets"]
        print(key, t["dtype"], "x".join(map(str, t["shape"])),
              data[8 + n + b:8 + n + e].hex().upper())


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "dump":
        return dump(path)
    if cmd == "garbage":
        open(path, "wb").write(b"\xff" * 100)
        return
    if cmd == "truncated":  # an IRPA header cut short
        open(path, "wb").write(struct.pack("<IHH", 0x41505249, 0, 0) +
                               b"\0" * 12)
        return
    entries = []
    for spec in sys.argv[3:]:
        key, rest = spec.split("=")
        dtype, shape = rest.split(":")
        rows, cols = map(int, shape.split("x"))
        name, data = table(dtype, rows, cols)
        entries.append((key, name, [rows, cols], data))
    if path.endswith(".irpa"):
        write_irpa(path, entries)
    elif path.endswith(".gguf"):
        write_gguf(path, entries)
    else:
        write_safetensors(path, entries)


if __name__ == "__main__":
    main()
