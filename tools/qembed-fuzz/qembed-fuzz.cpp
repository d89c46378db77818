//===- qembed-fuzz.cpp - libFuzzer target for qembed's passes -------------===//
//
// Parses the input as an MLIR module (textual assembly) with the qembed
// dialect and every upstream dialect registered, verifies it and runs one of
// qembed's passes or user pipelines on it, chosen by the input's first byte.
// Diagnostics are swallowed: rejecting bad IR with an error is correct
// behaviour; only crashes, sanitizer reports and the oracles below are bugs.
//
// Input format: byte 0 selects the pipeline (kPipelines, modulo its size);
// its bit 7 also round-trips the parsed module through MLIR bytecode before
// the passes run. Bytes 1.. are the module's text.
//
// Oracles beyond "does not crash":
//  - a pass that reports success must leave IR that verifies (the pass
//    manager's own verifier is off; an instrumentation verifies after each
//    successful pass and aborts naming the pass);
//  - a module that contains qembed ops after the passes must print and
//    re-parse (qembed's custom assembly formats round-trip).
//
// What is not fed, and why (the goal is bugs in qembed's code):
//  - bytecode input: MLIR 22.1's BytecodeReader writes out of bounds on some
//    corrupt bytes (upstream; see README). Bytecode is still exercised, but
//    only as written by MLIR's own writer from a module that parsed (bit 7).
//  - bracket nesting deeper than kMaxNesting: MLIR's recursive-descent parser
//    and its recursive walks overflow the stack on deep nesting (upstream).
//  - `permutation =`/`dimensions =` without a well-formed integer list: the
//    linalg.transpose/linalg.broadcast parsers crash on it (upstream; see
//    hasMalformedLinalgIntList).
//
// Huge shapes are fed: splat tables of any size must be quantized without
// being expanded, and qembed must reject what it cannot hold before
// allocating it, so an out-of-memory report is a finding too.
//
// Mutation: half of the mutations are libFuzzer's own byte-level ones; the
// other half (LLVMFuzzerCustomMutator) rewrite every occurrence of one integer
// (a dimension, a bit width, a group size) or one element type consistently,
// so that the module stays well-typed and reaches the passes with shapes and
// types the seeds do not have.
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/IR/QEmbedDialect.h"
#include "qembed/Dialect/QEmbed/Transforms/BufferizableOpInterfaceImpl.h"
#include "qembed/Pipelines/Pipelines.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace mlir;

namespace {

/// The pipelines the first input byte chooses from (textual pass pipelines
/// nested in builtin.module).
const char *const kPipelines[] = {
    "qembed-raise-lookups{remarks=true}",
    "qembed-quantize{bits=4 group-size=8 report=true max-table-bytes=67108864}",
    "qembed-quantize{bits=3 group-size=0 symmetric=false scale-type=f16 "
    "max-table-bytes=67108864}",
    "qembed-raise-lookups,qembed-quantize{bits=8 group-size=0 scale-type=bf16 "
    "max-table-bytes=67108864}",
    "quantize-embeddings{bits=2 group-size=32 symmetric=false "
    "max-table-bytes=67108864}",
    "quantize-embeddings{bits=8 group-size=0 scale-type=f32 report=true "
    "max-table-bytes=67108864}",
    "quantize-embeddings{max-table-bytes=67108864}",
    "canonicalize",
    "qembed-expand-gathers",
    "qembed-to-linalg",
    "qembed-cpu-pipeline",
    "quantize-embeddings{bits=4 group-size=16 max-table-bytes=67108864},"
    "qembed-cpu-pipeline",
    "qembed-gather-to-gpu",
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "qembed-gather-to-gpu{block-size=64 unroll=3}",
    "qembed-to-iree{target=cpu}",
    "qembed-to-iree{target=cuda chip=sm_80 block-size=128 unroll=1}",
    "qembed-to-iree{target=cuda chip=sm_90}",
    "qembed-gpu-pipeline{chip=sm_90 format=isa}",
    // The float formats (FP8 / NVFP4 / MXFP4).
    "quantize-embeddings{format=fp8 per-tensor=true "
    "max-table-bytes=67108864},qembed-cpu-pipeline",
    "quantize-embeddings{format=nvfp4 max-table-bytes=67108864},"
    "qembed-expand-gathers,canonicalize",
    "qembed-quantize{format=mxfp4 max-table-bytes=67108864},qembed-to-linalg",
};
constexpr size_t kNumPipelines = sizeof(kPipelines) / sizeof(kPipelines[0]);

/// Deepest bracket nesting fed to the parser (see the file comment).
constexpr int kMaxNesting = 64;

/// Dialects, interfaces and translations, built once.
DialectRegistry *registry;

/// Returns the deepest nesting of (, [, { and < outside string literals.
int nestingDepth(llvm::StringRef text) {
  int depth = 0, deepest = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        inString = false;
      continue;
    }
    switch (c) {
    case '"':
      inString = true;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      deepest = std::max(deepest, ++depth);
      break;
    case ')':
    case ']':
    case '}':
    case '>':
      depth = std::max(0, depth - 1);
      break;
    default:
      break;
    }
  }
  return deepest;
}

/// Returns true if a `permutation =` or `dimensions =` in `text` is not
/// followed by a well-formed integer list `[i, j, ...]`. MLIR 22.1's
/// linalg.transpose and linalg.broadcast parsers (parseDenseI64ArrayAttr in
/// LinalgOps.cpp) store the null attribute a failed parse returns and crash
/// on it (upstream).
bool hasMalformedLinalgIntList(llvm::StringRef text) {
  for (llvm::StringRef keyword : {"permutation", "dimensions"}) {
    for (size_t pos = text.find(keyword); pos != llvm::StringRef::npos;
         pos = text.find(keyword, pos + 1)) {
      llvm::StringRef rest = text.drop_front(pos + keyword.size()).ltrim();
      if (!rest.consume_front("="))
        continue;
      rest = rest.ltrim();
      if (!rest.consume_front("["))
        return true;
      rest = rest.ltrim();
      if (rest.consume_front("]"))
        continue;
      while (true) {
        rest.consume_front("-");
        size_t digits = rest.find_first_not_of("0123456789");
        if (digits == 0 || digits == llvm::StringRef::npos)
          return true;
        rest = rest.drop_front(digits).ltrim();
        if (rest.consume_front("]"))
          break;
        if (!rest.consume_front(","))
          return true;
        rest = rest.ltrim();
      }
    }
  }
  return false;
}

/// Verifies the IR after every pass that reported success; a pass that
/// succeeds with invalid IR is a bug in that pass.
struct VerifyAfterEachPass : public PassInstrumentation {
  void runAfterPass(Pass *pass, Operation *op) override {
    if (succeeded(verify(op)))
      return;
    fprintf(stderr, "qembed-fuzz: pass '%s' succeeded but left invalid IR\n",
            pass->getArgument().str().c_str());
    abort();
  }
};

/// Returns true if `module` contains an op of the qembed dialect.
bool hasQEmbedOps(ModuleOp module) {
  return module
      ->walk([](Operation *op) {
        return op->getName().getDialectNamespace() == "qembed"
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      })
      .wasInterrupted();
}

/// Makes a context for one input: every dialect available (loaded on
/// demand), unregistered ops allowed, no threads, no diagnostics printed.
std::unique_ptr<MLIRContext> makeContext() {
  auto context = std::make_unique<MLIRContext>(
      *registry, MLIRContext::Threading::DISABLED);
  context->allowUnregisteredDialects();
  context->printOpOnDiagnostic(false);
  context->printStackTraceOnDiagnostic(false);
  return context;
}

/// Parses `text` as a module in `context`, or returns null. `text` must be
/// NUL-terminated (a std::string): MLIR's lexer reads the byte past the end of
/// its buffer, as files and the Python API's strings provide it.
OwningOpRef<ModuleOp> parseText(const std::string &text, MLIRContext *context) {
  ParserConfig config(context);
  return parseSourceString<ModuleOp>(text, config, "fuzz-input");
}

/// Returns true if the integer literal starting at `pos` in `text` stands
/// alone: not part of an identifier, SSA name or type name such as `i32`, but
/// possibly a dimension of a shape (`4x16`, `?x16`).
bool isIntegerToken(const std::string &text, size_t pos) {
  if (pos == 0)
    return true;
  char prev = text[pos - 1];
  if (prev == 'x' && pos >= 2 &&
      (isdigit(static_cast<unsigned char>(text[pos - 2])) ||
       text[pos - 2] == '?'))
    return true;
  return !(isalnum(static_cast<unsigned char>(prev)) || prev == '_' ||
           prev == '%' || prev == '#' || prev == '^' || prev == '@' ||
           prev == '.');
}

/// Replaces every standalone occurrence of the integer `from` in `text` by
/// `to`.
std::string replaceInteger(const std::string &text, const std::string &from,
                           const std::string &to) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (isdigit(static_cast<unsigned char>(text[i])) &&
        isIntegerToken(text, i)) {
      size_t end = i;
      while (end < text.size() &&
             isdigit(static_cast<unsigned char>(text[end])))
        ++end;
      out += text.compare(i, end - i, from) == 0 && end - i == from.size()
                 ? to
                 : text.substr(i, end - i);
      i = end;
      continue;
    }
    out += text[i++];
  }
  return out;
}

/// Rewrites one integer or one element type of `text` everywhere it occurs.
std::string mutateConsistently(const std::string &text, std::minstd_rand &rng) {
  if (rng() % 3 == 0) {
    static const char *const kTypes[][4] = {{"f32", "f16", "bf16", "f64"},
                                            {"i64", "i32", "index", "i16"},
                                            {"i8", "i1", "i4", "ui8"}};
    const auto &group = kTypes[rng() % 3];
    std::string from = group[rng() % 4], to = group[rng() % 4];
    std::string out;
    for (size_t pos = 0;;) {
      size_t next = text.find(from, pos);
      out += text.substr(pos, next - pos);
      if (next == std::string::npos)
        return out;
      out += to;
      pos = next + from.size();
    }
  }
  std::vector<std::string> integers;
  for (size_t i = 0; i < text.size();) {
    if (isdigit(static_cast<unsigned char>(text[i])) &&
        isIntegerToken(text, i)) {
      size_t end = i;
      while (end < text.size() &&
             isdigit(static_cast<unsigned char>(text[end])))
        ++end;
      integers.push_back(text.substr(i, end - i));
      i = end;
    } else {
      ++i;
    }
  }
  if (integers.empty())
    return text;
  const std::string &from = integers[rng() % integers.size()];
  uint64_t value = from.size() > 18 ? 0 : std::stoull(from);
  static const uint64_t kInteresting[] = {0,           1,
                                          2,           3,
                                          5,           7,
                                          8,           9,
                                          17,          31,
                                          32,          33,
                                          63,          64,
                                          65,          127,
                                          255,         256,
                                          65535,       65536,
                                          1u << 24,    (1u << 24) + 1,
                                          2147483647,  2147483648u,
                                          4294967295u, 4294967296,
                                          1ull << 40,  9223372036854775807ull};
  uint64_t to;
  switch (rng() % 4) {
  case 0:
    to = value + 1;
    break;
  case 1:
    to = value ? value - 1 : 0;
    break;
  case 2:
    to = value * 2 + 1;
    break;
  default:
    to = kInteresting[rng() % (sizeof(kInteresting) / sizeof(uint64_t))];
    break;
  }
  return replaceInteger(text, from, std::to_string(to));
}

} // namespace

/// ASan defaults for this binary (ASAN_OPTIONS still overrides them).
/// allow_user_poisoning=0: LLVM's header-only BumpPtrAllocator, inlined into
/// our instrumented code, poisons a whole new slab of an MLIRContext's
/// uniquer and unpoisons only what it hands out; the uninstrumented inline
/// copy in libMLIR.so then allocates from that slab without unpoisoning, and
/// its writes are reported as use-after-poison (a false positive of mixing
/// the two, seen on a FileLineColRange after a qembed SchemeAttr).
extern "C" const char *__asan_default_options() {
  return "allow_user_poisoning=0";
}

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  std::minstd_rand rng(seed);
  if (size < 2 || rng() % 2)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::string text(reinterpret_cast<const char *>(data + 1), size - 1);
  std::string mutated = mutateConsistently(text, rng);
  if (mutated == text || mutated.size() + 1 > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  memcpy(data + 1, mutated.data(), mutated.size());
  return mutated.size() + 1;
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  registerAllPasses();
  qembed::registerAllQEmbedPasses();
  registry = new DialectRegistry();
  registerAllDialects(*registry);
  registerAllExtensions(*registry);
  registry->insert<qembed::QEmbedDialect>();
  qembed::registerBufferizableOpInterfaceExternalModels(*registry);
  registerAllGPUToLLVMIRTranslations(*registry);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t selector = data[0];
  llvm::StringRef text(reinterpret_cast<const char *>(data + 1), size - 1);
  // Text only: corrupt bytecode crashes MLIR's reader itself.
  if (isBytecode(llvm::MemoryBufferRef(text, "fuzz-input")))
    return 0;
  if (nestingDepth(text) > kMaxNesting || hasMalformedLinalgIntList(text))
    return 0;

  std::unique_ptr<MLIRContext> context = makeContext();
  ScopedDiagnosticHandler swallow(context.get(),
                                  [](Diagnostic &) { return success(); });
  OwningOpRef<ModuleOp> module = parseText(text.str(), context.get());
  if (!module || failed(verify(*module)))
    return 0;

  if (selector & 0x80) {
    // Round trip through bytecode written by MLIR's own writer.
    std::string bytes;
    llvm::raw_string_ostream os(bytes);
    if (failed(writeBytecodeToFile(*module, os)))
      return 0;
    auto reread = parseSourceString<ModuleOp>(bytes, ParserConfig(&*context));
    if (!reread)
      return 0;
    module = std::move(reread);
  }

  const char *pipeline = kPipelines[(selector & 0x7f) % kNumPipelines];
  PassManager pm(context.get());
  pm.enableVerifier(false);
  pm.addInstrumentation(std::make_unique<VerifyAfterEachPass>());
  if (failed(parsePassPipeline(pipeline, pm))) {
    fprintf(stderr, "qembed-fuzz: bad pipeline '%s'\n", pipeline);
    abort();
  }
  if (failed(pm.run(*module)))
    return 0;

  if (!hasQEmbedOps(*module))
    return 0;
  // qembed's custom assembly formats must round-trip.
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os);
  std::unique_ptr<MLIRContext> fresh = makeContext();
  ScopedDiagnosticHandler swallowFresh(fresh.get(),
                                       [](Diagnostic &) { return success(); });
  if (!parseText(printed, fresh.get())) {
    fprintf(stderr, "qembed-fuzz: printed module does not re-parse:\n%s\n",
            printed.c_str());
    abort();
  }
  return 0;
}
