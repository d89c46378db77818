//===- CodebookBindings.cpp - Python binding of codebook VQ ---------------===//
//
// `_qembed.vq_quantize_raw` / `_qembed.vq_dequantize_raw`: the codebook
// vector quantization of the numerics library (lib/Numerics/Codebook.cpp),
// the same code --qembed-quantize format=vq folds with. python/qembed wraps
// them as qembed.quantize_vq / qembed.dequantize_vq.
//
//===----------------------------------------------------------------------===//

#include "qembed/Conversion/QEmbedToGPU/CodebookKernel.h"
#include "qembed/Numerics/Codebook.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <cmath>
#include <cstring>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

using RawArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

/// The float kind named `name` ("f32", "f16", "bf16").
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

/// A scheme from the Python arguments, checked for a row of `cols` columns.
qembed::CodebookScheme makeScheme(int64_t cols, unsigned dim, int64_t entries,
                                  unsigned stages, int64_t groups,
                                  unsigned iterations,
                                  const std::string &codebookKind,
                                  uint64_t seed) {
  if (entries < 2 || entries > 65536 || (entries & (entries - 1)) != 0)
    throw nb::value_error(("entries must be a power of two in [2, 65536], "
                           "got " +
                           std::to_string(entries))
                              .c_str());
  qembed::CodebookScheme s;
  s.dim = dim;
  s.entryBits = unsigned(std::log2(double(entries)));
  s.stages = stages;
  s.groups = groups;
  s.iterations = iterations;
  s.seed = seed;
  s.codebookKind = kindOf(codebookKind, "codebook dtype");
  if (std::string err = qembed::checkCodebookScheme(s, cols); !err.empty())
    throw nb::value_error(err.c_str());
  return s;
}

/// A new numpy array of `shape` owning `data`.
template <typename T>
nb::ndarray<nb::numpy, T> newArray(std::vector<T> &&data,
                                   std::initializer_list<size_t> shape) {
  auto *heap = new std::vector<T>(std::move(data));
  nb::capsule owner(
      heap, [](void *p) noexcept { delete static_cast<std::vector<T> *>(p); });
  std::vector<size_t> dims(shape);
  return nb::ndarray<nb::numpy, T>(heap->data(), dims.size(), dims.data(),
                                   owner);
}

/// Values exact in `kind` as float32, or uint16 bit patterns for f16/bf16.
nb::object floatsOut(const std::vector<float> &values, size_t rows, size_t cols,
                     qembed::FloatKind kind) {
  if (kind == qembed::FloatKind::F32)
    return nb::cast(newArray<float>(std::vector<float>(values), {rows, cols}));
  std::vector<uint16_t> raw(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    qembed::storeElement(kind, raw.data(), int64_t(i), values[i]);
  return nb::cast(newArray<uint16_t>(std::move(raw), {rows, cols}));
}

/// Reads `count` elements of `kind` from a raw array, checking its size.
std::vector<float> floatsIn(const RawArray &a, qembed::FloatKind kind,
                            size_t count, const char *what) {
  if (a.size() != count || a.dtype().bits != qembed::byteWidth(kind) * 8)
    throw nb::value_error((std::string(what) + " must hold " +
                           std::to_string(count) + " " +
                           qembed::kindName(kind) + " elements")
                              .c_str());
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i)
    out[i] = qembed::loadElement(kind, a.data(), int64_t(i));
  return out;
}

nb::tuple vqQuantizeRaw(RawArray table, const std::string &kindName,
                        unsigned dim, int64_t entries, unsigned stages,
                        int64_t groups, unsigned iterations,
                        const std::string &codebookKind, uint64_t seed,
                        unsigned threads) {
  if (table.ndim() != 2)
    throw nb::value_error("table must be 2-D");
  qembed::FloatKind kind = kindOf(kindName, "table dtype");
  if (table.dtype().bits != qembed::byteWidth(kind) * 8)
    throw nb::type_error("table elements do not match its dtype");
  int64_t rows = table.shape(0), cols = table.shape(1);
  qembed::CodebookScheme s = makeScheme(cols, dim, entries, stages, groups,
                                        iterations, codebookKind, seed);
  qembed::TableView view{table.data(), kind, rows, cols};
  std::optional<qembed::TableProblem> problem;
  qembed::CodebookTable q;
  {
    nb::gil_scoped_release release;
    problem = qembed::checkCodebookTable(view, s, threads);
    if (!problem)
      q = qembed::quantizeCodebook(view, s, threads);
  }
  if (problem)
    throw nb::value_error(problem->message().c_str());
  std::vector<int32_t> words(q.words.begin(), q.words.end());
  double sqnr = q.noisePower > 0 ? 10 * std::log10(q.signalPower / q.noisePower)
                                 : INFINITY;
  return nb::make_tuple(
      newArray<int32_t>(std::move(words),
                        {size_t(rows), size_t(s.wordsPerRow(cols))}),
      floatsOut(q.scales, rows, 1, s.scaleKind),
      floatsOut(q.codebooks, size_t(s.groups * s.stages * s.entries()), s.dim,
                s.codebookKind),
      sqnr);
}

nb::object vqDequantizeRaw(RawArray codes, RawArray scales, RawArray codebooks,
                           int64_t cols, unsigned dim, int64_t entries,
                           unsigned stages, int64_t groups,
                           const std::string &codebookKind,
                           const std::string &outKind, unsigned threads) {
  qembed::CodebookScheme s =
      makeScheme(cols, dim, entries, stages, groups, 0, codebookKind, 0);
  qembed::FloatKind out = kindOf(outKind, "output dtype");
  if (codes.ndim() != 2 || codes.dtype().bits != 32 ||
      codes.shape(1) != size_t(s.wordsPerRow(cols)))
    throw nb::value_error(("codes must be int32 of shape (rows, " +
                           std::to_string(s.wordsPerRow(cols)) + ")")
                              .c_str());
  int64_t rows = codes.shape(0);
  std::vector<float> sc = floatsIn(scales, s.scaleKind, size_t(rows), "scales");
  std::vector<float> books = floatsIn(
      codebooks, s.codebookKind, size_t(s.codebookElements()), "codebooks");
  std::vector<uint32_t> words(codes.size());
  std::memcpy(words.data(), codes.data(), words.size() * 4);
  // A code beyond the codebook cannot occur: codes have log2(entries) bits.
  std::vector<float> table(size_t(rows * cols));
  {
    nb::gil_scoped_release release;
    qembed::dequantizeCodebookTable(words.data(), sc.data(), books.data(), rows,
                                    cols, s, out, table.data(), threads);
  }
  return floatsOut(table, rows, cols, out);
}

nb::object vqGatherRaw(RawArray codes, RawArray scales, RawArray codebooks,
                       RawArray ids, int64_t cols, unsigned dim,
                       int64_t entries, unsigned stages, int64_t groups,
                       const std::string &codebookKind,
                       const std::string &outKind, unsigned threads) {
  qembed::CodebookScheme s =
      makeScheme(cols, dim, entries, stages, groups, 0, codebookKind, 0);
  qembed::FloatKind out = kindOf(outKind, "output dtype");
  if (codes.ndim() != 2 || codes.dtype().bits != 32 ||
      codes.shape(1) != size_t(s.wordsPerRow(cols)) || codes.shape(0) == 0)
    throw nb::value_error(("codes must be int32 of shape (rows > 0, " +
                           std::to_string(s.wordsPerRow(cols)) + ")")
                              .c_str());
  if (ids.ndim() != 1 || ids.dtype().bits != 64 ||
      ids.dtype().code != uint8_t(nb::dlpack::dtype_code::Int))
    throw nb::type_error("ids must be a 1-D int64 array");
  int64_t rows = codes.shape(0), tokens = ids.shape(0);
  std::vector<float> sc = floatsIn(scales, s.scaleKind, size_t(rows), "scales");
  std::vector<float> books = floatsIn(
      codebooks, s.codebookKind, size_t(s.codebookElements()), "codebooks");
  size_t n = size_t(tokens * cols);
  auto gather = [&](void *dst) {
    nb::gil_scoped_release release;
    qembed::gatherCodebookRows(static_cast<const uint32_t *>(codes.data()),
                               sc.data(), books.data(), rows, cols, s,
                               static_cast<const int64_t *>(ids.data()), tokens,
                               out, dst, threads);
  };
  if (out == qembed::FloatKind::F32) {
    std::vector<float> data(n);
    gather(data.data());
    return nb::cast(
        newArray<float>(std::move(data), {size_t(tokens), size_t(cols)}));
  }
  std::vector<uint16_t> data(n);
  gather(data.data());
  return nb::cast(
      newArray<uint16_t>(std::move(data), {size_t(tokens), size_t(cols)}));
}

/// PTX of qembed's codebook VQ gather kernel for one configuration (see
/// CodebookKernel.h), built in-process: {ptx, name, shared_memory,
/// block_size, chunk_vectors}; `block_size` and `unroll` 0 are the
/// generator's choice (the dict has the block size chosen).
nb::dict gpuCodebookKernel(unsigned dim, int64_t entries, unsigned stages,
                           int64_t groups, const std::string &scaleType,
                           const std::string &codebookType,
                           const std::string &outType, int64_t cols,
                           const std::string &idType, const std::string &chip,
                           int64_t blockSize, int64_t unroll) {
  if (idType != "i32" && idType != "i64")
    throw nb::value_error(
        ("id_type must be 'i32' or 'i64', got '" + idType + "'").c_str());
  mlir::qembed::CodebookKernelSpec spec;
  spec.dim = dim;
  spec.entries = entries;
  spec.stages = stages;
  spec.groups = groups;
  spec.scaleType = scaleType;
  spec.codebookType = codebookType;
  spec.outType = outType;
  spec.cols = cols;
  spec.idBits = idType == "i32" ? 32 : 64;
  spec.blockSize = blockSize;
  spec.unroll = unroll;
  mlir::qembed::CompiledGatherKernel kernel;
  std::string error;
  bool ok;
  {
    nb::gil_scoped_release release;
    ok = mlir::qembed::compileCodebookKernel(spec, chip, kernel, error);
  }
  if (!ok)
    throw nb::value_error(error.c_str());
  nb::dict d;
  d["ptx"] = kernel.ptx;
  d["name"] = kernel.name;
  d["shared_memory"] = mlir::qembed::codebookKernelUsesSharedMemory(spec);
  d["block_size"] = mlir::qembed::codebookKernelBlockSize(spec);
  d["chunk_vectors"] = mlir::qembed::codebookKernelChunkVectors(spec);
  return d;
}

} // namespace

/// Adds the codebook VQ functions to the extension module.
void bindCodebook(nb::module_ &m) {
  m.def("vq_quantize_raw", &vqQuantizeRaw, "table"_a, "kind"_a, "dim"_a,
        "entries"_a, "stages"_a, "groups"_a, "iterations"_a, "codebook_kind"_a,
        "seed"_a, "threads"_a = 0);
  m.def("vq_dequantize_raw", &vqDequantizeRaw, "codes"_a, "scales"_a,
        "codebooks"_a, "cols"_a, "dim"_a, "entries"_a, "stages"_a, "groups"_a,
        "codebook_kind"_a, "out_kind"_a, "threads"_a = 0);
  m.def("gpu_codebook_kernel", &gpuCodebookKernel, "dim"_a, "entries"_a,
        "stages"_a, "groups"_a, "scale_type"_a, "codebook_type"_a, "out_type"_a,
        "cols"_a, "id_type"_a = "i64", "chip"_a = "sm_90", "block_size"_a = 0,
        "unroll"_a = 0);
  m.def("vq_gather_raw", &vqGatherRaw, "codes"_a, "scales"_a, "codebooks"_a,
        "ids"_a, "cols"_a, "dim"_a, "entries"_a, "stages"_a, "groups"_a,
        "codebook_kind"_a, "out_kind"_a, "threads"_a = 0);
}
