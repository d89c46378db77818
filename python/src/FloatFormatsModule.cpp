//===- FloatFormatsModule.cpp - Python bindings of the float formats ------===//
//
// numpy in / numpy out wrappers of FloatFormats.h (FP8, NVFP4, MXFP4):
// quantize, dequantize and the CPU gather. Part of the _qembed extension.
//
//===----------------------------------------------------------------------===//

#include "qembed/Numerics/FloatFormats.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <cmath>
#include <string>
#include <vector>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using AnyArray =
    nb::ndarray<nb::ro, nb::c_contig, nb::ndim<2>, nb::device::cpu>;
using IdArray = nb::ndarray<nb::ro, nb::c_contig, nb::ndim<1>, nb::device::cpu>;
using OutArray = nb::ndarray<nb::c_contig, nb::ndim<2>, nb::device::cpu>;

qembed::FloatKind kindOf(const std::string &name, const char *what) {
  if (name == "f32")
    return qembed::FloatKind::F32;
  if (name == "f16")
    return qembed::FloatKind::F16;
  if (name == "bf16")
    return qembed::FloatKind::BF16;
  throw nb::value_error((std::string(what) +
                         " must be 'f32', 'f16' or 'bf16', got '" + name + "'")
                            .c_str());
}

qembed::FloatScheme schemeOf(const std::string &format, bool perTensor,
                             qembed::FloatKind kind, int64_t cols) {
  std::optional<qembed::Format> f = qembed::parseFormat(format);
  if (!f || *f == qembed::Format::Int)
    throw nb::value_error(
        ("format must be 'fp8', 'nvfp4' or 'mxfp4', got '" + format + "'")
            .c_str());
  qembed::FloatScheme s{*f, perTensor, kind};
  if (std::string err = qembed::checkFloatScheme(s, cols); !err.empty())
    throw nb::value_error(err.c_str());
  return s;
}

template <typename T>
nb::ndarray<nb::numpy, T> owned(std::vector<T> &&data, size_t rows,
                                size_t cols) {
  auto *heap = new std::vector<T>(std::move(data));
  nb::capsule owner(
      heap, [](void *p) noexcept { delete static_cast<std::vector<T> *>(p); });
  size_t shape[2] = {rows, cols};
  return nb::ndarray<nb::numpy, T>(heap->data(), 2, shape, owner);
}

void checkBits(const AnyArray &a, size_t bits, const char *what) {
  if (a.dtype().bits != bits)
    throw nb::type_error((std::string(what) + " has " +
                          std::to_string(a.dtype().bits) +
                          "-bit elements, expected " + std::to_string(bits))
                             .c_str());
}

/// Returns (packed int32 words, scales, global scale, max |error|, SQNR dB).
/// FP8 scales are rows x 1 in the table's dtype (16-bit patterns for f16 /
/// bf16); NVFP4 / MXFP4 scales are rows x groups uint8 (E4M3FN / E8M0).
nb::tuple quantizeFloatRaw(AnyArray table, const std::string &kindName,
                           const std::string &format, bool perTensor,
                           bool errorStats) {
  qembed::FloatKind kind = kindOf(kindName, "table dtype");
  checkBits(table, qembed::byteWidth(kind) * 8, "table");
  int64_t rows = table.shape(0), cols = table.shape(1);
  qembed::FloatScheme s = schemeOf(format, perTensor, kind, cols);
  qembed::TableView view{table.data(), kind, rows, cols};
  std::optional<qembed::TableProblem> problem;
  qembed::FloatPackedTable q;
  {
    nb::gil_scoped_release release;
    problem = qembed::checkFloatTable(view);
    if (!problem)
      q = qembed::quantizeFloatTable(view, s, 0, errorStats);
  }
  if (problem)
    throw nb::value_error(problem->message().c_str());
  std::vector<int32_t> words(q.words.begin(), q.words.end());
  nb::object scales;
  if (s.format == qembed::Format::FP8) {
    if (kind == qembed::FloatKind::F32) {
      scales = nb::cast(owned<float>(std::move(q.scales), rows, 1));
    } else {
      std::vector<uint16_t> raw(q.scales.size());
      for (size_t i = 0; i < raw.size(); ++i)
        qembed::storeElement(kind, raw.data(), int64_t(i), q.scales[i]);
      scales = nb::cast(owned<uint16_t>(std::move(raw), rows, 1));
    }
  } else {
    scales = nb::cast(
        owned<uint8_t>(std::move(q.scaleCodes), rows, s.groupsPerRow(cols)));
  }
  double sqnr = !errorStats ? NAN
                : q.noisePower > 0
                    ? 10 * std::log10(q.signalPower / q.noisePower)
                    : INFINITY;
  return nb::make_tuple(
      owned<int32_t>(std::move(words), rows, s.wordsPerRow(cols)), scales,
      q.globalScale, errorStats ? q.maxAbsError : NAN, sqnr);
}

/// A checked view of packed arrays for `format`.
qembed::FloatPackedView viewOf(AnyArray &packed, AnyArray &scales,
                               float globalScale, int64_t cols,
                               const std::string &format,
                               const std::string &kindName) {
  qembed::FloatKind kind = kindOf(kindName, "table dtype");
  qembed::FloatScheme s = schemeOf(format, false, kind, cols);
  checkBits(packed, 32, "packed");
  int64_t rows = packed.shape(0);
  if (packed.shape(1) != size_t(s.wordsPerRow(cols)))
    throw nb::value_error(("packed rows must have " +
                           std::to_string(s.wordsPerRow(cols)) + " words")
                              .c_str());
  bool fp8 = s.format == qembed::Format::FP8;
  checkBits(scales, fp8 ? qembed::byteWidth(kind) * 8 : 8, "scales");
  int64_t groups = s.groupsPerRow(cols);
  if (scales.shape(0) != size_t(rows) || scales.shape(1) != size_t(groups))
    throw nb::value_error(("scales must have shape (" + std::to_string(rows) +
                           ", " + std::to_string(groups) + ")")
                              .c_str());
  qembed::FloatPackedView v{static_cast<const uint32_t *>(packed.data()),
                            scales.data(),
                            globalScale,
                            rows,
                            cols,
                            s};
  if (std::string err = qembed::checkFloatView(v); !err.empty())
    throw nb::value_error(err.c_str());
  return v;
}

void gatherFloatRaw(AnyArray packed, AnyArray scales, float globalScale,
                    IdArray ids, OutArray out, int64_t cols,
                    const std::string &format, const std::string &kindName,
                    const std::string &outKind, unsigned threads) {
  qembed::FloatPackedView v =
      viewOf(packed, scales, globalScale, cols, format, kindName);
  qembed::FloatKind outK = kindOf(outKind, "output dtype");
  nb::dlpack::dtype idType = ids.dtype();
  if (idType.code != uint8_t(nb::dlpack::dtype_code::Int) ||
      (idType.bits != 32 && idType.bits != 64))
    throw nb::type_error("ids must be int32 or int64");
  int64_t tokens = ids.shape(0);
  if (out.shape(0) != size_t(tokens) || out.shape(1) != size_t(cols))
    throw nb::value_error("out must have shape (tokens, cols)");
  if (out.dtype().bits != qembed::byteWidth(outK) * 8)
    throw nb::type_error("out elements do not match the output dtype");
  qembed::IndexKind idKind =
      idType.bits == 32 ? qembed::IndexKind::I32 : qembed::IndexKind::I64;
  nb::gil_scoped_release release;
  qembed::gatherFloatRows(v, ids.data(), idKind, tokens, outK, out.data(),
                          threads);
}

} // namespace

/// Adds quantize_float_raw and gather_float_raw to the extension module.
void bindFloatFormats(nb::module_ &m) {
  m.def("quantize_float_raw", &quantizeFloatRaw, "table"_a, "kind"_a,
        "format"_a, "per_tensor"_a, "error_stats"_a = true);
  m.def("gather_float_raw", &gatherFloatRaw, "packed"_a, "scales"_a,
        "global_scale"_a, "ids"_a, "out"_a, "cols"_a, "format"_a, "kind"_a,
        "out_kind"_a, "threads"_a = 0);
}
