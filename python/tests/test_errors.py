"""Bad input gets a typed Python error, never a crash."""

import numpy as np
import pytest

import qembed

GOOD = np.ones((4, 64), dtype=np.float32)


def test_wrong_table_dtype():
    with pytest.raises(TypeError, match="not float32, float16 or bfloat16"):
        qembed.quantize(np.ones((4, 64), dtype=np.int32))


def test_not_an_array():
    with pytest.raises(TypeError, match="numpy array"):
        qembed.quantize([[1.0, 2.0]])


def test_wrong_rank_and_empty():
    with pytest.raises(ValueError, match="2-D"):
        qembed.quantize(np.ones(64, dtype=np.float32))
    with pytest.raises(ValueError, match="empty"):
        qembed.quantize(np.ones((0, 64), dtype=np.float32))


def test_bad_options():
    with pytest.raises(ValueError, match=r"bits must be an integer in \[2, 8\]"):
        qembed.quantize(GOOD, bits=9)
    with pytest.raises(ValueError, match="group_size"):
        qembed.quantize(GOOD, group_size=-1)
    with pytest.raises(ValueError, match="group size 48 does not divide the row length 64"):
        qembed.quantize(GOOD, group_size=48)
    with pytest.raises(ValueError, match="scale_dtype"):
        qembed.quantize(GOOD, scale_dtype="f64")


def test_bf16_needs_bit_patterns():
    with pytest.raises(TypeError, match="uint16 bit patterns"):
        qembed.quantize(GOOD, dtype="bf16")


def test_pack_errors():
    with pytest.raises(TypeError, match="int8"):
        qembed.pack(np.zeros((2, 8), dtype=np.int32), 4)
    with pytest.raises(ValueError, match="code 9 out of range for 4 bits"):
        qembed.pack(np.full((2, 8), 9, dtype=np.int8), 4)


def test_dequantize_shape_errors():
    q = qembed.quantize(GOOD, bits=4, group_size=32)
    q.scales = q.scales[:, :1]
    with pytest.raises(ValueError, match=r"scales must have shape \(4, 2\)"):
        qembed.dequantize(q)
    q = qembed.quantize(GOOD, bits=4, group_size=32, symmetric=False)
    q.zero_points = None
    with pytest.raises(ValueError, match="needs zero points"):
        qembed.dequantize(q)


def test_mlir_errors():
    with pytest.raises(qembed.MLIRError, match="could not parse"):
        qembed.run_pipeline("func.func @f(", "canonicalize")
    with pytest.raises(ValueError, match="invalid pass pipeline"):
        qembed.run_pipeline("module {}", "no-such-pass")
    with pytest.raises(TypeError):
        qembed.run_pipeline(42, "canonicalize")
    module = """func.func @f(%ids: tensor<2xi64>) -> tensor<2x12xf32> {
  %t = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0]]> : tensor<1x12xf32>
  %r = qembed.lookup %t[%ids] : tensor<1x12xf32>, tensor<2xi64> -> tensor<2x12xf32>
  return %r : tensor<2x12xf32>
}"""
    with pytest.raises(qembed.MLIRError, match="group size 8 does not divide"):
        qembed.run_pipeline(module, "qembed-quantize{group-size=8}")
