//===- ParameterArchive.cpp - IRPA / safetensors parameter files ----------===//
//
// IRPA v0 (IREE Parameter Archive; layout from IREE's
// runtime/src/iree/schemas/parameter_archive.h: a packed little-endian
// header, a table of 16-byte aligned entries, a metadata segment holding
// the names and a storage segment holding the data) and safetensors (an
// 8-byte little-endian header length, a JSON header, the data); GGUF
// (llama.cpp) is read too.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/Transforms/ParameterArchive.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir::qembed;
using llvm::Error;
using llvm::StringRef;

namespace {
/// IRPA constants (IREE's parameter_archive.h).
constexpr uint32_t kIrpaMagic = 0x41505249u; // "IRPA"
constexpr uint32_t kGgufMagic = 0x46554747u; // "GGUF"
constexpr uint64_t kIrpaHeaderSize = 88;     // header_v0_t
constexpr uint64_t kIrpaEntryHeaderSize = 60;
constexpr uint64_t kIrpaDataEntrySize = 76;
constexpr uint64_t kIrpaSplatEntrySize = 85;
constexpr uint64_t kIrpaEntryAlignment = 16;
constexpr uint64_t kIrpaDataAlignment = 64;
enum : uint32_t { kEntrySkip = 0, kEntrySplat = 1, kEntryData = 2 };

uint64_t alignTo(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint64_t read64(const char *p) { return llvm::support::endian::read64le(p); }

Error fail(StringRef path, const llvm::Twine &msg) {
  return llvm::createStringError("parameter archive '" + path + "': " + msg);
}

/// Bytes of one element of a safetensors dtype, 0 when unknown.
unsigned dtypeBytes(StringRef dtype) {
  return llvm::StringSwitch<unsigned>(dtype)
      .Cases({"F64", "I64", "U64"}, 8)
      .Cases({"F32", "I32", "U32"}, 4)
      .Cases({"F16", "BF16", "I16", "U16"}, 2)
      .Cases({"I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2"}, 1)
      .Default(0);
}
} // namespace

/// Indexes the IRPA archive whose header starts at `base` (following linked
/// headers).
static Error parseIrpa(StringRef path, StringRef file, uint64_t base,
                       llvm::StringMap<ArchiveEntry> &entries, int depth) {
  if (depth > 64)
    return fail(path, "more than 64 linked IRPA headers");
  if (base > file.size() || file.size() - base < 32)
    return fail(path, "truncated IRPA header");
  const char *h = file.data() + base;
  uint16_t major = llvm::support::endian::read16le(h + 4);
  uint16_t minor = llvm::support::endian::read16le(h + 6);
  uint64_t headerSize = read64(h + 8), next = read64(h + 16);
  if (major != 0 || minor != 0)
    return fail(path, llvm::formatv("IRPA version {0}.{1} is not supported "
                                    "(only 0.0)",
                                    major, minor));
  if (headerSize != kIrpaHeaderSize || file.size() - base < kIrpaHeaderSize)
    return fail(path, "IRPA v0 header has size " + llvm::Twine(headerSize) +
                          ", expected 88, or the file is truncated");
  uint64_t count = read64(h + 32);
  uint64_t seg[3][2];
  for (int i = 0; i < 3; ++i) {
    seg[i][0] = read64(h + 40 + 16 * i);
    seg[i][1] = read64(h + 48 + 16 * i);
    uint64_t avail = file.size() - base;
    if (seg[i][0] > avail || seg[i][1] > avail - seg[i][0])
      return fail(path, "IRPA segment out of the file's range");
  }
  uint64_t entryAt = base + seg[0][0], entryLeft = seg[0][1];
  for (uint64_t i = 0; i < count; ++i) {
    if (entryLeft < kIrpaEntryHeaderSize)
      return fail(path, "IRPA entry table truncated");
    const char *e = file.data() + entryAt;
    uint64_t size = read64(e);
    uint32_t type = llvm::support::endian::read32le(e + 8);
    uint64_t nameOff = read64(e + 20), nameLen = read64(e + 28);
    if (size < kIrpaEntryHeaderSize || size > entryLeft)
      return fail(path, "IRPA entry " + llvm::Twine(i) + " has a bad size");
    if (nameOff > seg[1][1] || nameLen > seg[1][1] - nameOff)
      return fail(path, "IRPA entry " + llvm::Twine(i) +
                            " has a name outside the metadata segment");
    std::string name(file.data() + base + seg[1][0] + nameOff, nameLen);
    ArchiveEntry entry;
    if (type == kEntryData) {
      if (size < kIrpaDataEntrySize)
        return fail(path, "IRPA data entry '" + name + "' is truncated");
      uint64_t off = read64(e + 60), len = read64(e + 68);
      if (off > seg[2][1] || len > seg[2][1] - off)
        return fail(path, "IRPA entry '" + name +
                              "' has data outside the storage segment");
      entry.offset = base + seg[2][0] + off;
      entry.length = len;
    } else if (type == kEntrySplat) {
      if (size < kIrpaSplatEntrySize)
        return fail(path, "IRPA splat entry '" + name + "' is truncated");
      uint64_t len = read64(e + 60);
      unsigned patternLen = uint8_t(e[84]);
      if (patternLen == 0 || patternLen > 16 || len % patternLen != 0)
        return fail(path,
                    "IRPA splat entry '" + name + "' has a bad pattern length");
      entry.length = len;
      entry.splatPattern.assign(e + 68, patternLen);
    } else if (type != kEntrySkip) {
      return fail(path, "IRPA entry '" + name + "' has type " +
                            llvm::Twine(type) +
                            " (external files are not supported)");
    }
    if (type != kEntrySkip)
      entries[name] = std::move(entry);
    uint64_t step = alignTo(size, kIrpaEntryAlignment);
    entryAt += step;
    entryLeft = step > entryLeft ? 0 : entryLeft - step;
  }
  if (next == 0)
    return Error::success();
  if (next > file.size() - base)
    return fail(path, "linked IRPA header out of range");
  return parseIrpa(path, file, base + next, entries, depth + 1);
}

namespace {
/// A bounds-checked little-endian reader over a file.
struct Cursor {
  StringRef file;
  uint64_t at = 0;
  bool ok = true;

  bool has(uint64_t n) {
    ok = ok && n <= file.size() - at;
    return ok;
  }
  uint64_t u64() {
    if (!has(8))
      return 0;
    at += 8;
    return read64(file.data() + at - 8);
  }
  uint32_t u32() {
    if (!has(4))
      return 0;
    at += 4;
    return llvm::support::endian::read32le(file.data() + at - 4);
  }
  StringRef str() {
    uint64_t n = u64();
    if (!has(n))
      return "";
    at += n;
    return file.substr(at - n, n);
  }
  void skip(uint64_t n) {
    if (has(n))
      at += n;
  }
};
} // namespace

/// Skips a GGUF metadata value of `type`; returns false on an unknown type.
static bool skipGgufValue(Cursor &c, uint32_t type, int depth) {
  static const unsigned widths[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
  if (type == 8) { // string
    (void)c.str();
    return true;
  }
  if (type == 9) { // array
    uint32_t elem = c.u32();
    uint64_t n = c.u64();
    if (depth > 8 || elem > 12)
      return false;
    if (elem != 8 && elem != 9) {
      if (n > c.file.size() / widths[elem])
        c.ok = false;
      c.skip(n * widths[elem]);
      return true;
    }
    for (uint64_t i = 0; i < n && c.ok; ++i)
      if (!skipGgufValue(c, elem, depth + 1))
        return false;
    return true;
  }
  if (type > 12)
    return false;
  c.skip(widths[type]);
  return true;
}

/// GGUF (llama.cpp's format, v2/v3): header, metadata key/values (only
/// general.alignment is read), tensor infos (dims innermost first, a ggml
/// type, an offset into the aligned data section). F32, F16 and BF16
/// tensors are indexed with their dtype and row-major shape; other ggml
/// types (block-quantized) get dtype "ggml type N".
static Error parseGguf(StringRef path, StringRef file,
                       llvm::StringMap<ArchiveEntry> &entries) {
  Cursor c{file};
  c.skip(4);
  uint32_t version = c.u32();
  if (version != 2 && version != 3)
    return fail(path, "GGUF version " + llvm::Twine(version) +
                          " is not supported (only 2 and 3)");
  uint64_t tensors = c.u64(), kvs = c.u64();
  uint64_t alignment = 32;
  for (uint64_t i = 0; i < kvs && c.ok; ++i) {
    StringRef key = c.str();
    uint32_t type = c.u32();
    if (key == "general.alignment" && type == 4) {
      alignment = c.u32();
      continue;
    }
    if (!skipGgufValue(c, type, 0))
      return fail(path, "GGUF metadata '" + key + "' has unknown type " +
                            llvm::Twine(type));
  }
  if (alignment == 0 || (alignment & (alignment - 1)))
    return fail(path, "GGUF general.alignment " + llvm::Twine(alignment) +
                          " is not a power of two");
  struct Info {
    std::string name;
    ArchiveEntry entry;
    uint64_t offset;
  };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < tensors && c.ok; ++i) {
    Info info;
    info.name = c.str().str();
    uint32_t dims = c.u32();
    if (dims > 8)
      return fail(path, "GGUF tensor '" + info.name + "' has " +
                            llvm::Twine(dims) + " dimensions");
    uint64_t elements = 1;
    for (uint32_t d = 0; d < dims; ++d) {
      uint64_t n = c.u64();
      if (n > uint64_t(INT64_MAX) || (n && elements > UINT64_MAX / n))
        return fail(path, "GGUF tensor '" + info.name + "' is too large");
      elements *= n;
      info.entry.shape.insert(info.entry.shape.begin(), int64_t(n));
    }
    uint32_t type = c.u32();
    info.offset = c.u64();
    unsigned width = type == 0 ? 4 : (type == 1 || type == 30) ? 2 : 0;
    info.entry.dtype = type == 0    ? "F32"
                       : type == 1  ? "F16"
                       : type == 30 ? "BF16"
                                    : "ggml type " + std::to_string(type);
    if (width && elements > UINT64_MAX / width)
      return fail(path, "GGUF tensor '" + info.name + "' is too large");
    info.entry.length = width ? elements * width : 0;
    infos.push_back(std::move(info));
  }
  if (!c.ok)
    return fail(path, "truncated GGUF header");
  uint64_t data = alignTo(c.at, alignment);
  for (Info &info : infos) {
    uint64_t size = file.size();
    if (data > size || info.offset > size - data ||
        info.entry.length > size - data - info.offset)
      return fail(path,
                  "GGUF tensor '" + info.name + "' has data outside the file");
    info.entry.offset = data + info.offset;
    entries[info.name] = std::move(info.entry);
  }
  return Error::success();
}

static Error parseSafetensors(StringRef path, StringRef file,
                              llvm::StringMap<ArchiveEntry> &entries) {
  if (file.size() < 8)
    return fail(path,
                "not an IRPA, GGUF or safetensors file (shorter than 8 bytes)");
  uint64_t n = read64(file.data());
  if (n > file.size() - 8)
    return fail(path, "not an IRPA, GGUF or safetensors file (header length " +
                          llvm::Twine(n) + " past the end of the file)");
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(file.substr(8, n));
  if (!json)
    return fail(path,
                "not an IRPA, GGUF or safetensors file (bad JSON header: " +
                    llvm::toString(json.takeError()) + ")");
  const llvm::json::Object *top = json->getAsObject();
  if (!top)
    return fail(path, "safetensors header is not a JSON object");
  uint64_t dataStart = 8 + n, dataSize = file.size() - dataStart;
  for (const auto &[key, value] : *top) {
    if (key == "__metadata__")
      continue;
    const llvm::json::Object *t = value.getAsObject();
    const llvm::json::Array *shape = t ? t->getArray("shape") : nullptr;
    const llvm::json::Array *offs = t ? t->getArray("data_offsets") : nullptr;
    std::optional<StringRef> dtype = t ? t->getString("dtype") : std::nullopt;
    if (!shape || !offs || !dtype || offs->size() != 2)
      return fail(path, "safetensors tensor '" + key.str() +
                            "' lacks dtype, shape or data_offsets");
    ArchiveEntry entry;
    entry.dtype = dtype->str();
    uint64_t elements = 1;
    for (const llvm::json::Value &d : *shape) {
      std::optional<int64_t> v = d.getAsInteger();
      if (!v || *v < 0)
        return fail(path,
                    "safetensors tensor '" + key.str() + "' has a bad shape");
      entry.shape.push_back(*v);
      elements =
          *v == 0 ? 0
                  : (elements > UINT64_MAX / *v ? UINT64_MAX : elements * *v);
    }
    std::optional<int64_t> b = (*offs)[0].getAsInteger(),
                           e = (*offs)[1].getAsInteger();
    if (!b || !e || *b < 0 || *e < *b || uint64_t(*e) > dataSize)
      return fail(path, "safetensors tensor '" + key.str() +
                            "' has data_offsets outside the file");
    unsigned width = dtypeBytes(entry.dtype);
    if (width && elements != uint64_t(*e - *b) / width)
      return fail(path, "safetensors tensor '" + key.str() + "' (" +
                            entry.dtype +
                            ") has a shape that does not "
                            "match its data_offsets");
    entry.offset = dataStart + *b;
    entry.length = *e - *b;
    entries[key.str()] = std::move(entry);
  }
  return Error::success();
}

llvm::Expected<std::unique_ptr<ParameterArchive>>
ParameterArchive::open(StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buf =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buf)
    return fail(path, "cannot read it: " + buf.getError().message());
  auto archive = std::make_unique<ParameterArchive>();
  archive->path = path.str();
  archive->buffer = std::move(*buf);
  StringRef file = archive->buffer->getBuffer();
  if (file.size() >= 4 &&
      llvm::support::endian::read32le(file.data()) == kIrpaMagic) {
    if (Error err = parseIrpa(path, file, 0, archive->entries, 0))
      return std::move(err);
  } else if (file.size() >= 4 &&
             llvm::support::endian::read32le(file.data()) == kGgufMagic) {
    if (Error err = parseGguf(path, file, archive->entries))
      return std::move(err);
    archive->typed = true;
  } else {
    if (Error err = parseSafetensors(path, file, archive->entries))
      return std::move(err);
    archive->typed = true;
  }
  return std::move(archive);
}

const ArchiveEntry *ParameterArchive::find(StringRef key) const {
  auto it = entries.find(key);
  return it == entries.end() ? nullptr : &it->second;
}

llvm::ArrayRef<char>
ParameterArchive::getBytes(const ArchiveEntry &entry,
                           std::vector<char> &storage) const {
  if (entry.splatPattern.empty())
    return llvm::ArrayRef<char>(buffer->getBufferStart() + entry.offset,
                                entry.length);
  storage.resize(entry.length);
  size_t p = entry.splatPattern.size();
  for (uint64_t i = 0; i < entry.length; i += p)
    std::memcpy(storage.data() + i, entry.splatPattern.data(), p);
  return storage;
}

/// Writes `v` little-endian.
static void put64(llvm::raw_ostream &os, uint64_t v) {
  char b[8];
  llvm::support::endian::write64le(b, v);
  os.write(b, 8);
}

static void writeIrpa(llvm::raw_ostream &os,
                      llvm::ArrayRef<ArchiveTensor> tensors) {
  uint64_t entryStride = alignTo(kIrpaDataEntrySize, kIrpaEntryAlignment);
  uint64_t entryOff = alignTo(kIrpaHeaderSize, kIrpaEntryAlignment);
  uint64_t entryLen = entryStride * tensors.size();
  uint64_t metaOff = entryOff + entryLen, metaLen = 0;
  for (const ArchiveTensor &t : tensors)
    metaLen += t.key.size();
  uint64_t storageOff = alignTo(metaOff + metaLen, kIrpaDataAlignment);
  std::vector<uint64_t> dataOff;
  uint64_t storageLen = 0;
  for (const ArchiveTensor &t : tensors) {
    dataOff.push_back(storageLen);
    storageLen = alignTo(storageLen + t.bytes.size(), kIrpaDataAlignment);
  }
  // Header.
  char b4[4];
  llvm::support::endian::write32le(b4, kIrpaMagic);
  os.write(b4, 4);
  os.write("\0\0\0\0", 4); // version 0.0
  put64(os, kIrpaHeaderSize);
  put64(os, 0); // next header
  put64(os, 0); // flags
  put64(os, tensors.size());
  for (uint64_t v :
       {entryOff, entryLen, metaOff, metaLen, storageOff, storageLen})
    put64(os, v);
  os.write_zeros(entryOff - kIrpaHeaderSize);
  // Entry table.
  uint64_t nameOff = 0;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    put64(os, kIrpaDataEntrySize);
    llvm::support::endian::write32le(b4, kEntryData);
    os.write(b4, 4);
    put64(os, 0); // flags
    put64(os, nameOff);
    put64(os, t.key.size());
    put64(os, 0); // metadata
    put64(os, 0);
    put64(os, kIrpaDataAlignment);
    put64(os, dataOff[i]);
    put64(os, t.bytes.size());
    os.write_zeros(entryStride - kIrpaDataEntrySize);
    nameOff += t.key.size();
  }
  for (const ArchiveTensor &t : tensors)
    os << t.key;
  os.write_zeros(storageOff - metaOff - metaLen);
  uint64_t at = 0;
  for (auto [i, t] : llvm::enumerate(tensors)) {
    os.write_zeros(dataOff[i] - at);
    os.write(t.bytes.data(), t.bytes.size());
    at = dataOff[i] + t.bytes.size();
  }
  os.write_zeros(storageLen - at);
}

static void writeSafetensors(llvm::raw_ostream &os,
                             llvm::ArrayRef<ArchiveTensor> tensors) {
  llvm::json::Object header;
  uint64_t at = 0;
  for (const ArchiveTensor &t : tensors) {
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    header[t.key] = llvm::json::Object{
        {"dtype", t.dtype},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{at, at + t.bytes.size()}}};
    at += t.bytes.size();
  }
  std::string text;
  llvm::raw_string_ostream(text) << llvm::json::Value(std::move(header));
  text.append(alignTo(text.size(), 8) - text.size(), ' ');
  put64(os, text.size());
  os << text;
  for (const ArchiveTensor &t : tensors)
    os.write(t.bytes.data(), t.bytes.size());
}

Error mlir::qembed::writeParameterArchive(
    StringRef path, llvm::ArrayRef<ArchiveTensor> tensors) {
  bool irpa = path.ends_with(".irpa");
  if (!irpa && !path.ends_with(".safetensors"))
    return fail(path, "the output archive's name must end in .irpa or "
                      ".safetensors");
  llvm::SmallString<256> tmp(path);
  tmp += ".tmp-qembed";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec)
      return fail(path, "cannot write it: " + ec.message());
    if (irpa)
      writeIrpa(os, tensors);
    else
      writeSafetensors(os, tensors);
    os.close();
    if (os.has_error()) {
      std::string msg = os.error().message();
      os.clear_error();
      llvm::sys::fs::remove(tmp);
      return fail(path, "cannot write it: " + msg);
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return fail(path, "cannot write it: " + ec.message());
  }
  return Error::success();
}
