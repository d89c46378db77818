//===- QEmbedModule.cpp - Python bindings of qembed (nanobind) ------------===//
//
// The native half of the `qembed` Python package: in-process MLIR (parse a
// module, run a pass pipeline, print text or bytecode) with every upstream
// dialect and qembed's dialect, passes and pipelines registered; and the
// numerics library (quantize / pack / dequantize numpy arrays, the CPU fused
// gather) — the same C++ code the passes fold with.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"
#include "qembed/Numerics/Bags.h"
#include "qembed/Numerics/Gather.h"
#include "qembed/Numerics/Quantizer.h"
#include "qembed/Pipelines/Pipelines.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

/// Raised for MLIR failures (parse errors, pass failures); carries the
/// diagnostics MLIR printed.
nb::object mlirErrorType;

void registerEverythingOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mlir::registerAllPasses();
    mlir::qembed::registerAllQEmbedPasses();
  });
}

mlir::DialectRegistry makeRegistry() {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllGPUToLLVMIRTranslations(registry);
  registry.insert<mlir::qembed::QEmbedDialect>();
  mlir::qembed::registerBufferizableOpInterfaceExternalModels(registry);
  return registry;
}

/// `text` as a Python str. Diagnostics may quote bytes of a corrupt input
/// (bytecode is binary): invalid UTF-8 becomes U+FFFD instead of raising
/// UnicodeDecodeError.
nb::str toPyStr(const std::string &text) {
  PyObject *str =
      PyUnicode_DecodeUTF8(text.data(), Py_ssize_t(text.size()), "replace");
  if (!str)
    throw nb::python_error();
  return nb::steal<nb::str>(str);
}

[[noreturn]] void throwMLIRError(const std::string &what,
                                 const std::string &diagnostics) {
  PyErr_SetObject(
      mlirErrorType.ptr(),
      toPyStr(what + (diagnostics.empty() ? "" : ":\n" + diagnostics)).ptr());
  throw nb::python_error();
}

/// Runs `fn` on a thread with a 1 GiB stack and waits for it: MLIR's
/// parser, verifier, printer and op destruction recurse once per level of
/// nesting, and deeply nested input would overflow the caller's stack.
template <typename Fn> void runOnLargeStack(Fn &&fn) {
  llvm::thread worker(std::optional<unsigned>(1u << 30), std::forward<Fn>(fn));
  worker.join();
}

/// A raw_ostream writing into a Python bytes object that grows as needed
/// (doubling, with _PyBytes_Resize; realloc moves large blocks by
/// remapping pages, not copying, and pages never written are never
/// resident). Used without the GIL; takes it to resize.
class PyBytesStream : public llvm::raw_ostream {
public:
  PyBytesStream() { SetUnbuffered(); }
  ~PyBytesStream() override {
    if (bytes) {
      nb::gil_scoped_acquire acquire;
      Py_DECREF(bytes);
    }
  }
  /// The bytes written, trimmed to their size; null when an allocation
  /// failed.
  nb::object finish() {
    if (failed || !resize(pos))
      return nb::object();
    PyObject *out = bytes;
    bytes = nullptr;
    nb::gil_scoped_acquire acquire;
    return nb::steal(out);
  }

private:
  bool resize(size_t size) {
    nb::gil_scoped_acquire acquire;
    if (!bytes)
      bytes = PyBytes_FromStringAndSize(nullptr, Py_ssize_t(size));
    else if (_PyBytes_Resize(&bytes, Py_ssize_t(size)) != 0)
      bytes = nullptr;
    if (!bytes) {
      PyErr_Clear();
      return false;
    }
    capacity = size;
    return true;
  }
  void write_impl(const char *ptr, size_t n) override {
    if (failed)
      return;
    if (n > capacity - pos &&
        !resize(std::max({2 * capacity, pos + n, size_t(1) << 20}))) {
      failed = true;
      return;
    }
    std::memcpy(PyBytes_AS_STRING(bytes) + pos, ptr, n);
    pos += n;
  }
  uint64_t current_pos() const override { return pos; }
  PyObject *bytes = nullptr;
  size_t capacity = 0, pos = 0;
  bool failed = false;
};

/// Writes `module` as bytecode straight into a new Python bytes object
/// `result` (no intermediate copy of an output that can take gigabytes).
/// Called without the GIL.
enum class WriteResult { Ok, Failed, NoMemory };
WriteResult writeBytecodeToBytes(mlir::ModuleOp module, nb::object &result) {
  PyBytesStream os;
  if (mlir::failed(mlir::writeBytecodeToFile(module, os)))
    return WriteResult::Failed;
  nb::object bytes = os.finish();
  if (!bytes)
    return WriteResult::NoMemory;
  nb::gil_scoped_acquire acquire;
  result = std::move(bytes);
  return WriteResult::Ok;
}

/// The outcome of runMLIR, turned into Python objects by raiseStatus.
enum class Status {
  Ok,
  ParseError,
  BadPipeline,
  PassError,
  WriteError,
  NoMemory
};

/// Parses the buffer of `sourceMgr` (text or bytecode; shared with the
/// parser, so the bytecode reader references resource blobs in it instead
/// of copying them), runs `pipeline` (the passes of a textual pipeline on
/// the module) and hands the module to `write`. Runs on the calling thread
/// without touching Python; collects the diagnostics as text.
Status runMLIR(const std::shared_ptr<llvm::SourceMgr> &sourceMgr,
               const std::string &pipeline, bool allowUnregistered,
               std::string &diagnostics, std::string &pipelineErrors,
               llvm::function_ref<Status(mlir::ModuleOp)> write) {
  mlir::MLIRContext context(makeRegistry());
  // IREE's input IR (util.func, ...) is accepted in generic form.
  context.allowUnregisteredDialects(allowUnregistered);
  llvm::raw_string_ostream diagStream(diagnostics);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    diagStream << diag.getLocation() << ": "
               << (diag.getSeverity() == mlir::DiagnosticSeverity::Error
                       ? "error: "
                   : diag.getSeverity() == mlir::DiagnosticSeverity::Warning
                       ? "warning: "
                   : diag.getSeverity() == mlir::DiagnosticSeverity::Remark
                       ? "remark: "
                       : "note: ")
               << diag << "\n";
    return mlir::success();
  });
  mlir::ParserConfig config(&context);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, config);
  if (!module)
    return Status::ParseError;
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  llvm::raw_string_ostream pipelineStream(pipelineErrors);
  if (!pipeline.empty() &&
      mlir::failed(mlir::parsePassPipeline(pipeline, pm, pipelineStream)))
    return Status::BadPipeline;
  if (mlir::failed(pm.run(*module)))
    return Status::PassError;
  return write(*module);
}

/// Raises the Python exception for a failed runMLIR.
void raiseStatus(Status status, const std::string &pipeline,
                 const std::string &diagnostics,
                 const std::string &pipelineErrors) {
  switch (status) {
  case Status::ParseError:
    throwMLIRError("could not parse the module", diagnostics);
  case Status::BadPipeline:
    throw nb::value_error(
        ("invalid pass pipeline '" + pipeline + "': " + pipelineErrors)
            .c_str());
  case Status::PassError:
    throwMLIRError("pass pipeline failed", diagnostics);
  case Status::WriteError:
    throwMLIRError("could not write bytecode", diagnostics);
  case Status::NoMemory:
    throw std::bad_alloc();
  case Status::Ok:
    break;
  }
}

/// Parses `source` (text or bytecode), runs `pipeline` (the passes of a
/// textual pipeline on the module, without the builtin.module anchor, e.g.
/// "quantize-embeddings{bits=4},canonicalize") and prints the result as text
/// or bytecode.
nb::object runPipeline(nb::object source, const std::string &pipeline,
                       bool bytecode, bool withDiagnostics,
                       bool allowUnregistered) {
  registerEverythingOnce();
  // The input is read in place, not copied: the caller's bytes, or the
  // UTF-8 form a str keeps of itself; `source` keeps it alive, and both
  // are immutable, so the GIL-free thread below may read them.
  llvm::StringRef input;
  if (nb::isinstance<nb::bytes>(source)) {
    input = llvm::StringRef(PyBytes_AS_STRING(source.ptr()),
                            size_t(PyBytes_GET_SIZE(source.ptr())));
  } else if (nb::isinstance<nb::str>(source)) {
    Py_ssize_t size = 0;
    const char *utf8 = PyUnicode_AsUTF8AndSize(source.ptr(), &size);
    if (!utf8)
      throw nb::python_error();
    input = llvm::StringRef(utf8, size_t(size));
  } else {
    throw nb::type_error("source must be str (MLIR text) or bytes "
                         "(MLIR text or bytecode)");
  }

  // Everything MLIR does runs without the GIL on a large-stack thread; the
  // outcome comes back as a status, turned into Python objects here.
  Status status = Status::Ok;
  std::string diagnostics, pipelineErrors, out;
  nb::object outBytes; // bytecode output, written in place
  {
    nb::gil_scoped_release release;
    runOnLargeStack([&] {
      auto sourceMgr = std::make_shared<llvm::SourceMgr>();
      sourceMgr->AddNewSourceBuffer(
          llvm::MemoryBuffer::getMemBuffer(input, /*BufferName=*/"",
                                           /*RequiresNullTerminator=*/false),
          llvm::SMLoc());
      status = runMLIR(sourceMgr, pipeline, allowUnregistered, diagnostics,
                       pipelineErrors, [&](mlir::ModuleOp module) {
                         if (bytecode) {
                           switch (writeBytecodeToBytes(module, outBytes)) {
                           case WriteResult::Ok:
                             return Status::Ok;
                           case WriteResult::Failed:
                             return Status::WriteError;
                           case WriteResult::NoMemory:
                             return Status::NoMemory;
                           }
                         }
                         llvm::raw_string_ostream os(out);
                         module->print(os);
                         return Status::Ok;
                       });
    });
  }
  raiseStatus(status, pipeline, diagnostics, pipelineErrors);
  nb::object printed = bytecode ? outBytes : toPyStr(out);
  return withDiagnostics ? nb::make_tuple(printed, toPyStr(diagnostics))
                         : printed;
}

/// runPipeline from the file `inputPath` to the file `outputPath`, as
/// qembed-opt runs it: the input is memory-mapped (the quantizer drops the
/// pages of a table it has quantized, see --qembed-quantize) and the
/// result is written to the file, so neither is held in Python. Returns
/// the diagnostics text.
nb::str runPipelineFile(const std::string &inputPath,
                        const std::string &pipeline,
                        const std::string &outputPath, bool bytecode,
                        bool allowUnregistered) {
  registerEverythingOnce();
  Status status = Status::Ok;
  std::string diagnostics, pipelineErrors, ioError;
  {
    nb::gil_scoped_release release;
    runOnLargeStack([&] {
      llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> input =
          llvm::MemoryBuffer::getFile(inputPath, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
      if (!input) {
        ioError =
            "cannot read '" + inputPath + "': " + input.getError().message();
        return;
      }
      auto sourceMgr = std::make_shared<llvm::SourceMgr>();
      sourceMgr->AddNewSourceBuffer(std::move(*input), llvm::SMLoc());
      status = runMLIR(
          sourceMgr, pipeline, allowUnregistered, diagnostics, pipelineErrors,
          [&](mlir::ModuleOp module) {
            std::error_code ec;
            llvm::ToolOutputFile output(outputPath, ec, llvm::sys::fs::OF_None);
            if (ec) {
              ioError = "cannot write '" + outputPath + "': " + ec.message();
              return Status::Ok;
            }
            if (bytecode) {
              if (mlir::failed(mlir::writeBytecodeToFile(module, output.os())))
                return Status::WriteError;
            } else {
              module->print(output.os());
            }
            output.os().flush();
            if (output.os().has_error()) {
              ioError = "cannot write '" + outputPath +
                        "': " + output.os().error().message();
              output.os().clear_error();
              return Status::Ok;
            }
            output.keep();
            return Status::Ok;
          });
    });
  }
  if (!ioError.empty()) {
    PyErr_SetString(PyExc_OSError, ioError.c_str());
    throw nb::python_error();
  }
  raiseStatus(status, pipeline, diagnostics, pipelineErrors);
  return toPyStr(diagnostics);
}

//===----------------------------------------------------------------------===//
// Numerics
//===----------------------------------------------------------------------===//

qembed::FloatKind parseKind(const std::string &name, const char *what) {
  if (name == "f32" || name == "float32")
    return qembed::FloatKind::F32;
  if (name == "f16" || name == "float16")
    return qembed::FloatKind::F16;
  if (name == "bf16" || name == "bfloat16")
    return qembed::FloatKind::BF16;
  throw nb::value_error((std::string(what) +
                         " must be 'f32', 'f16' or "
                         "'bf16', got '" +
                         name + "'")
                            .c_str());
}

template <typename T>
nb::ndarray<nb::numpy, T> newArray(std::vector<T> &&data, size_t rows,
                                   size_t cols) {
  auto *heap = new std::vector<T>(std::move(data));
  nb::capsule owner(
      heap, [](void *p) noexcept { delete static_cast<std::vector<T> *>(p); });
  size_t shape[2] = {rows, cols};
  return nb::ndarray<nb::numpy, T>(heap->data(), 2, shape, owner);
}

/// Values exact in `kind` as raw storage: float32, or uint16 bit patterns
/// for f16/bf16 (the Python side views f16 as numpy.float16; numpy has no
/// bfloat16).
nb::object floatsToArray(const std::vector<float> &values, size_t rows,
                         size_t cols, qembed::FloatKind kind) {
  if (kind == qembed::FloatKind::F32)
    return nb::cast(newArray<float>(std::vector<float>(values), rows, cols));
  std::vector<uint16_t> raw(values.size());
  for (size_t i = 0; i < values.size(); ++i)
    qembed::storeElement(kind, raw.data(), int64_t(i), values[i]);
  return nb::cast(newArray<uint16_t>(std::move(raw), rows, cols));
}

using AnyArray =
    nb::ndarray<nb::ro, nb::c_contig, nb::ndim<2>, nb::device::cpu>;

/// Checks that `array` holds elements of `bytes` bytes.
void checkItemSize(const AnyArray &array, size_t bytes, const char *what) {
  if (array.dtype().bits != bytes * 8)
    throw nb::type_error(
        (std::string(what) + " has " + std::to_string(array.dtype().bits) +
         "-bit elements, expected " + std::to_string(bytes * 8))
            .c_str());
}

qembed::Scheme makeScheme(int64_t cols, unsigned bits, int64_t group,
                          bool symmetric, const std::string &scaleKind) {
  qembed::Scheme s;
  s.bits = bits;
  s.groupSize = group;
  s.symmetric = symmetric;
  s.scaleKind = parseKind(scaleKind, "scale dtype");
  if (std::string err = qembed::checkScheme(s, cols); !err.empty())
    throw nb::value_error(err.c_str());
  return s;
}

std::vector<float> readFloats(const AnyArray &array, qembed::FloatKind kind) {
  std::vector<float> out(array.size());
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = qembed::loadElement(kind, array.data(), int64_t(i));
  return out;
}

/// A checked view of a table argument and the scheme to quantize it with.
struct TableArgs {
  qembed::TableView view;
  qembed::Scheme scheme;
};

TableArgs checkTable(const AnyArray &table, const std::string &kindName,
                     unsigned bits, int64_t group, bool symmetric,
                     const std::string &scaleKind) {
  qembed::FloatKind kind = parseKind(kindName, "table dtype");
  checkItemSize(table, qembed::byteWidth(kind), "table");
  int64_t rows = table.shape(0), cols = table.shape(1);
  return {{table.data(), kind, rows, cols},
          makeScheme(cols, bits, group, symmetric, scaleKind)};
}

nb::tuple quantizeRaw(AnyArray table, const std::string &kindName,
                      unsigned bits, int64_t group, bool symmetric,
                      const std::string &scaleKind, bool errorStats) {
  auto [view, s] =
      checkTable(table, kindName, bits, group, symmetric, scaleKind);
  int64_t rows = view.rows, cols = view.cols;
  int64_t groups = s.groupsPerRow(cols);
  // The arrays returned are allocated first and the quantizer writes into
  // them: one read of the table, no intermediate copies.
  std::vector<int32_t> words(size_t(rows * s.wordsPerRow(cols)));
  // Scales are float32, or uint16 bit patterns for f16/bf16.
  bool f32Scales = s.scaleKind == qembed::FloatKind::F32;
  std::vector<float> scales32(f32Scales ? size_t(rows * groups) : 0);
  std::vector<uint16_t> scales16(f32Scales ? 0 : size_t(rows * groups));
  std::vector<int8_t> zeroPoints(symmetric ? 0 : size_t(rows * groups));
  qembed::QuantizeErrorStats stats;
  std::optional<qembed::TableProblem> problem;
  {
    nb::gil_scoped_release release;
    problem = qembed::quantizeTableInto(
        view, s,
        {reinterpret_cast<uint32_t *>(words.data()),
         f32Scales ? static_cast<void *>(scales32.data()) : scales16.data(),
         symmetric ? nullptr : zeroPoints.data()},
        /*threads=*/0, errorStats ? &stats : nullptr);
  }
  if (problem)
    throw nb::value_error(problem->message().c_str());
  nb::object zps = nb::none();
  if (!symmetric)
    zps = nb::cast(newArray<int8_t>(std::move(zeroPoints), rows, groups));
  // Without the statistics, the error and SQNR are NaN (not measured).
  double sqnr = !errorStats ? NAN
                : stats.noisePower > 0
                    ? 10 * std::log10(stats.signalPower / stats.noisePower)
                    : INFINITY;
  double maxErr = errorStats ? stats.maxAbsError : NAN;
  nb::object scaleArray =
      f32Scales
          ? nb::cast(newArray<float>(std::move(scales32), rows, groups))
          : nb::cast(newArray<uint16_t>(std::move(scales16), rows, groups));
  return nb::make_tuple(
      newArray<int32_t>(std::move(words), rows, s.wordsPerRow(cols)),
      scaleArray, zps, maxErr, sqnr);
}

nb::tuple quantizeCodesRaw(AnyArray table, const std::string &kindName,
                           unsigned bits, int64_t group, bool symmetric,
                           const std::string &scaleKind) {
  auto [view, s] =
      checkTable(table, kindName, bits, group, symmetric, scaleKind);
  int64_t rows = view.rows, cols = view.cols;
  int64_t groups = s.groupsPerRow(cols);
  std::vector<int8_t> codes(size_t(rows * cols)), zps(size_t(rows * groups));
  std::vector<float> scales(size_t(rows * groups));
  std::optional<qembed::TableProblem> problem;
  {
    nb::gil_scoped_release release;
    problem = qembed::checkTable(view, s);
    if (!problem)
      qembed::quantizeCodes(view, s, codes.data(), scales.data(), zps.data());
  }
  if (problem)
    throw nb::value_error(problem->message().c_str());
  nb::object zpArray = nb::none();
  if (!symmetric)
    zpArray = nb::cast(newArray<int8_t>(std::move(zps), rows, groups));
  return nb::make_tuple(newArray<int8_t>(std::move(codes), rows, cols),
                        floatsToArray(scales, rows, groups, s.scaleKind),
                        zpArray);
}

nb::ndarray<nb::numpy, int32_t> packRaw(AnyArray codes, unsigned bits) {
  checkItemSize(codes, 1, "codes");
  if (bits < 2 || bits > 8)
    throw nb::value_error("bits must be in [2, 8]");
  int64_t rows = codes.shape(0), cols = codes.shape(1);
  const int8_t *c = static_cast<const int8_t *>(codes.data());
  int32_t lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
  for (int64_t i = 0; i < rows * cols; ++i)
    if (c[i] < lo || c[i] > hi)
      throw nb::value_error(("code " + std::to_string(c[i]) +
                             " out of range for " + std::to_string(bits) +
                             " bits")
                                .c_str());
  int64_t wpr = (cols * bits + 31) / 32;
  std::vector<uint32_t> words(size_t(rows * wpr));
  qembed::packCodes(c, rows, cols, bits, words.data());
  return newArray<int32_t>(std::vector<int32_t>(words.begin(), words.end()),
                           rows, wpr);
}

/// Checks the arrays of a packed table against `s` and `cols` (element
/// sizes, shapes, zero points present iff asymmetric); returns the rows.
int64_t checkPackedArrays(AnyArray &packed, AnyArray &scales,
                          std::optional<AnyArray> &zeroPoints,
                          const qembed::Scheme &s, int64_t cols) {
  checkItemSize(packed, 4, "packed");
  checkItemSize(scales, qembed::byteWidth(s.scaleKind), "scales");
  int64_t rows = packed.shape(0), groups = s.groupsPerRow(cols);
  if (packed.shape(1) != size_t(s.wordsPerRow(cols)))
    throw nb::value_error(("packed rows must have " +
                           std::to_string(s.wordsPerRow(cols)) + " words")
                              .c_str());
  if (scales.shape(0) != size_t(rows) || scales.shape(1) != size_t(groups))
    throw nb::value_error(("scales must have shape (" + std::to_string(rows) +
                           ", " + std::to_string(groups) + ")")
                              .c_str());
  if (s.symmetric == zeroPoints.has_value())
    throw nb::value_error(s.symmetric ? "a symmetric scheme takes no zero points"
                                    : "an asymmetric scheme needs zero points");
  if (zeroPoints) {
    checkItemSize(*zeroPoints, 1, "zero points");
    if (zeroPoints->shape(0) != size_t(rows) ||
        zeroPoints->shape(1) != size_t(groups))
      throw nb::value_error("zero points must have the shape of the scales");
  }
  return rows;
}

nb::object dequantizeRaw(AnyArray packed, AnyArray scales,
                         std::optional<AnyArray> zeroPoints, int64_t cols,
                         unsigned bits, int64_t group, bool symmetric,
                         const std::string &scaleKind,
                         const std::string &outKind) {
  qembed::Scheme s = makeScheme(cols, bits, group, symmetric, scaleKind);
  qembed::FloatKind out = parseKind(outKind, "output dtype");
  int64_t rows = checkPackedArrays(packed, scales, zeroPoints, s, cols);
  std::vector<float> scaleValues = readFloats(scales, s.scaleKind);
  std::vector<uint32_t> words(packed.size());
  std::memcpy(words.data(), packed.data(), words.size() * 4);
  std::vector<float> table(size_t(rows * cols));
  {
    nb::gil_scoped_release release;
    qembed::dequantizeTable(
        words.data(), scaleValues.data(),
        zeroPoints ? static_cast<const int8_t *>(zeroPoints->data()) : nullptr,
        rows, cols, s, table.data());
  }
  for (float &v : table)
    v = qembed::roundTo(out, v);
  return floatsToArray(table, rows, cols, out);
}

using IdArray = nb::ndarray<nb::ro, nb::c_contig, nb::ndim<1>, nb::device::cpu>;
using OutArray = nb::ndarray<nb::c_contig, nb::ndim<2>, nb::device::cpu>;

/// The CPU fused gather: writes the dequantized rows of `ids` (int32 or
/// int64, clamped into the table) into `out` (tokens x cols, 32-bit floats
/// or 16-bit patterns of `outKind`). Reads the arrays in place. Runs on up
/// to `threads` threads (0 = all cores).
void gatherRaw(AnyArray packed, AnyArray scales,
               std::optional<AnyArray> zeroPoints, IdArray ids, OutArray out,
               int64_t cols, unsigned bits, int64_t group, bool symmetric,
               const std::string &scaleKind, const std::string &outKind,
               unsigned threads) {
  qembed::Scheme s = makeScheme(cols, bits, group, symmetric, scaleKind);
  qembed::FloatKind outK = parseKind(outKind, "output dtype");
  int64_t rows = checkPackedArrays(packed, scales, zeroPoints, s, cols);
  nb::dlpack::dtype idType = ids.dtype();
  if (idType.code != uint8_t(nb::dlpack::dtype_code::Int) ||
      (idType.bits != 32 && idType.bits != 64))
    throw nb::type_error("ids must be int32 or int64");
  int64_t tokens = ids.shape(0);
  if (out.shape(0) != size_t(tokens) || out.shape(1) != size_t(cols))
    throw nb::value_error(("out must have shape (" + std::to_string(tokens) +
                           ", " + std::to_string(cols) + ")")
                              .c_str());
  if (out.dtype().bits != qembed::byteWidth(outK) * 8)
    throw nb::type_error(("out has " + std::to_string(out.dtype().bits) +
                          "-bit elements, expected " +
                          std::to_string(qembed::byteWidth(outK) * 8))
                             .c_str());
  qembed::PackedTableView table{
      static_cast<const uint32_t *>(packed.data()),
      scales.data(),
      zeroPoints ? static_cast<const int8_t *>(zeroPoints->data()) : nullptr,
      rows,
      cols,
      s};
  if (std::string err = qembed::checkGather(table); !err.empty())
    throw nb::value_error(err.c_str());
  qembed::IndexKind idKind =
      idType.bits == 32 ? qembed::IndexKind::I32 : qembed::IndexKind::I64;
  nb::gil_scoped_release release;
  qembed::gatherRows(table, ids.data(), idKind, tokens, outK, out.data(),
                     threads);
}

/// The CPU fused EmbeddingBag: writes one reduced row per bag of `ids`
/// (int32 or int64) delimited by `offsets` (int32 or int64) into `out`
/// (bags x cols, 32-bit floats or 16-bit patterns of `outKind`), with the
/// accumulation of lib/Numerics/Bags.h. `mode` is "sum" or "mean".
void gatherBagsRaw(AnyArray packed, AnyArray scales,
                   std::optional<AnyArray> zeroPoints, IdArray ids,
                   IdArray offsets, OutArray out, int64_t cols, unsigned bits,
                   int64_t group, bool symmetric, const std::string &scaleKind,
                   const std::string &outKind, const std::string &mode) {
  qembed::Scheme s = makeScheme(cols, bits, group, symmetric, scaleKind);
  qembed::FloatKind outK = parseKind(outKind, "output dtype");
  if (mode != "sum" && mode != "mean")
    throw nb::value_error(
        ("mode must be 'sum' or 'mean', got '" + mode + "'").c_str());
  int64_t rows = checkPackedArrays(packed, scales, zeroPoints, s, cols);
  auto indexKind = [](const IdArray &a, const char *what) {
    nb::dlpack::dtype t = a.dtype();
    if (t.code != uint8_t(nb::dlpack::dtype_code::Int) ||
        (t.bits != 32 && t.bits != 64))
      throw nb::type_error((std::string(what) + " must be int32 or int64")
                               .c_str());
    return t.bits == 32 ? qembed::IndexKind::I32 : qembed::IndexKind::I64;
  };
  qembed::IndexKind idKind = indexKind(ids, "ids");
  qembed::IndexKind offsetKind = indexKind(offsets, "offsets");
  int64_t bags = offsets.shape(0);
  if (out.shape(0) != size_t(bags) || out.shape(1) != size_t(cols))
    throw nb::value_error(("out must have shape (" + std::to_string(bags) +
                           ", " + std::to_string(cols) + ")")
                              .c_str());
  if (out.dtype().bits != qembed::byteWidth(outK) * 8)
    throw nb::type_error(("out has " + std::to_string(out.dtype().bits) +
                          "-bit elements, expected " +
                          std::to_string(qembed::byteWidth(outK) * 8))
                             .c_str());
  qembed::PackedTableView table{
      static_cast<const uint32_t *>(packed.data()),
      scales.data(),
      zeroPoints ? static_cast<const int8_t *>(zeroPoints->data()) : nullptr,
      rows,
      cols,
      s};
  if (std::string err = qembed::checkGather(table); !err.empty())
    throw nb::value_error(err.c_str());
  nb::gil_scoped_release release;
  qembed::gatherBags(table, ids.data(), idKind, int64_t(ids.shape(0)),
                     offsets.data(), offsetKind, bags,
                     mode == "sum" ? qembed::BagMode::Sum
                                   : qembed::BagMode::Mean,
                     outK, out.data());
}

} // namespace

void bindGPUKernels(nb::module_ &m);
void bindCodebook(nb::module_ &m);
void bindFloatFormats(nb::module_ &m);

NB_MODULE(_qembed, m) {
  m.doc() = "Native half of the qembed package (see qembed/__init__.py).";
  mlirErrorType = nb::borrow(PyExc_RuntimeError);
  static nb::object errorType = nb::steal(
      PyErr_NewException("qembed.MLIRError", PyExc_RuntimeError, nullptr));
  mlirErrorType = errorType;
  m.attr("MLIRError") = errorType;
  m.def("run_pipeline", &runPipeline, "source"_a, "pipeline"_a,
        "bytecode"_a = false, "diagnostics"_a = false,
        "allow_unregistered"_a = false);
  m.def("run_pipeline_file", &runPipelineFile, "input_path"_a, "pipeline"_a,
        "output_path"_a, "bytecode"_a = false, "allow_unregistered"_a = false);
  m.def("quantize_raw", &quantizeRaw, "table"_a, "kind"_a, "bits"_a, "group"_a,
        "symmetric"_a, "scale_kind"_a, "error_stats"_a = true);
  m.def("quantize_codes_raw", &quantizeCodesRaw, "table"_a, "kind"_a, "bits"_a,
        "group"_a, "symmetric"_a, "scale_kind"_a);
  m.def("pack_raw", &packRaw, "codes"_a, "bits"_a);
  m.def("dequantize_raw", &dequantizeRaw, "packed"_a, "scales"_a,
        "zero_points"_a.none(), "cols"_a, "bits"_a, "group"_a, "symmetric"_a,
        "scale_kind"_a, "out_kind"_a);
  m.def("gather_raw", &gatherRaw, "packed"_a, "scales"_a,
        "zero_points"_a.none(), "ids"_a, "out"_a, "cols"_a, "bits"_a, "group"_a,
        "symmetric"_a, "scale_kind"_a, "out_kind"_a, "threads"_a = 0);
  m.def("gather_bags_raw", &gatherBagsRaw, "packed"_a, "scales"_a,
        "zero_points"_a.none(), "ids"_a, "offsets"_a, "out"_a, "cols"_a,
        "bits"_a, "group"_a, "symmetric"_a, "scale_kind"_a, "out_kind"_a,
        "mode"_a);
  bindGPUKernels(m);
  bindCodebook(m);
  bindFloatFormats(m);
}
