//===- ParameterArchive.h - IRPA / safetensors parameter files --*- C++ -*-===//
//
// Reading and writing the parameter archives IREE loads with
// `--parameters=scope=file`: IREE Parameter Archives (.irpa, v0) and
// safetensors files (read and written), GGUF files (read). Used by
// --qembed-quantize-globals to read the tables of
// `#flow.parameter.named` globals and to write their packed tensors. No MLIR
// dependency beyond LLVM Support.
//
//===----------------------------------------------------------------------===//

#ifndef QEMBED_DIALECT_QEMBED_TRANSFORMS_PARAMETERARCHIVE_H
#define QEMBED_DIALECT_QEMBED_TRANSFORMS_PARAMETERARCHIVE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::qembed {

/// One tensor of an archive. IRPA entries are raw bytes (no dtype, no
/// shape); safetensors and GGUF entries carry both.
struct ArchiveEntry {
  /// safetensors dtype ("F32", "F16", "BF16", "I32", "I8", ...; GGUF's
  /// F32/F16/BF16 or "ggml type N"), empty for IRPA entries.
  std::string dtype;
  /// Row-major shape (GGUF's dims reversed); empty for IRPA entries.
  std::vector<int64_t> shape;
  /// Byte offset of the data in the file and its length.
  uint64_t offset = 0, length = 0;
  /// IRPA splat entries: the repeated little-endian pattern (1..16 bytes).
  std::string splatPattern;
};

/// A parameter archive opened for reading (the file is memory-mapped).
class ParameterArchive {
public:
  /// Opens and indexes `path`: an IRPA or GGUF file (by their magic) or a
  /// safetensors file. Errors name the file and what is wrong with it.
  static llvm::Expected<std::unique_ptr<ParameterArchive>>
  open(llvm::StringRef path);

  /// The entry named `key`, or null.
  const ArchiveEntry *find(llvm::StringRef key) const;
  /// Whether entries have a dtype and shape (safetensors, GGUF), not only
  /// bytes (IRPA).
  bool isTyped() const { return typed; }
  /// The bytes of `entry`, expanded into `storage` for splat entries (which
  /// allocates `entry.length` bytes: callers check it first).
  llvm::ArrayRef<char> getBytes(const ArchiveEntry &entry,
                                std::vector<char> &storage) const;
  llvm::StringRef getPath() const { return path; }

private:
  std::string path;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  llvm::StringMap<ArchiveEntry> entries;
  bool typed = false;
};

/// A tensor to write: `dtype` and `shape` are recorded in safetensors files
/// (IRPA stores the bytes only).
struct ArchiveTensor {
  std::string key;
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<char> bytes;
};

/// Writes `tensors` to `path`, as an IRPA v0 archive when the name ends in
/// `.irpa` and as a safetensors file when it ends in `.safetensors` (any
/// other name is an error). The file is written to a temporary name and
/// renamed, so a failure leaves no partial archive.
llvm::Error writeParameterArchive(llvm::StringRef path,
                                  llvm::ArrayRef<ArchiveTensor> tensors);

} // namespace mlir::qembed

#endif // QEMBED_DIALECT_QEMBED_TRANSFORMS_PARAMETERARCHIVE_H
