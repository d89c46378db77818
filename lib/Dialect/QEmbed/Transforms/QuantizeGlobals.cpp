//===- QuantizeGlobals.cpp - --qembed-quantize-globals --------------------===//
//
// Quantizes embedding tables held in IREE `util.global`s (inline initial
// values or parameters of an IRPA / safetensors archive). IREE's dialects
// are not loaded: its ops are unregistered ops recognised by name. Each
// table's loads become `arith.constant`s for the time the raise patterns
// and the quantizer of --qembed-quantize need them; the quantized tables
// end up in new globals (and, for parameters, in a new archive).
//
//===----------------------------------------------------------------------===//

#include "qembed/Dialect/QEmbed/Transforms/QuantizeGlobals.h"
#include "QuantizeVQ.h"
#include "qembed/Dialect/QEmbed/IR/ConstantData.h"
#include "qembed/Dialect/QEmbed/Transforms/ParameterArchive.h"
#include "qembed/Dialect/QEmbed/Transforms/Passes.h"
#include "qembed/Dialect/QEmbed/Transforms/QuantizeTable.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::qembed {
#define GEN_PASS_DEF_QEMBEDQUANTIZEGLOBALS
#include "qembed/Dialect/QEmbed/Transforms/Passes.h.inc"
} // namespace mlir::qembed

using namespace mlir;
using namespace mlir::qembed;

namespace {
/// A `#flow.parameter.named<"scope"::"key">` (or `#stream...`) reference.
struct ParameterRef {
  std::string dialect, scope, key;
};

/// One `util.global` read by an embedding lookup.
struct TableGlobal {
  Operation *global;
  std::string name;
  RankedTensorType type;
  std::optional<ParameterRef> parameter;
  /// The loads and the constants standing in for them.
  SmallVector<std::pair<Operation *, arith::ConstantOp>> loads;
};

struct QEmbedQuantizeGlobalsPass
    : mlir::qembed::impl::QEmbedQuantizeGlobalsBase<QEmbedQuantizeGlobalsPass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *ctx) override;
  void runOnOperation() override;

private:
  /// The options, checked by initialize().
  QuantizeGlobalsConfig config;
};
} // namespace

/// Reads a quoted MLIR string (escapes \\, \", \n, \t, \XX) at the front of
/// `s`, consuming it.
static std::optional<std::string> consumeQuoted(StringRef &s) {
  if (!s.consume_front("\""))
    return std::nullopt;
  std::string out;
  while (!s.empty() && s.front() != '"') {
    char c = s.front();
    s = s.drop_front();
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (s.empty())
      return std::nullopt;
    char e = s.front();
    s = s.drop_front();
    if (e == '\\' || e == '"')
      out.push_back(e);
    else if (e == 'n')
      out.push_back('\n');
    else if (e == 't')
      out.push_back('\t');
    else if (llvm::isHexDigit(e) && !s.empty() && llvm::isHexDigit(s.front())) {
      out.push_back(
          char(llvm::hexDigitValue(e) * 16 + llvm::hexDigitValue(s.front())));
      s = s.drop_front();
    } else {
      return std::nullopt;
    }
  }
  if (!s.consume_front("\""))
    return std::nullopt;
  return out;
}

/// Parses `#flow.parameter.named<"scope"::"key">` / `<"key">` (also in the
/// stream dialect), which qembed sees as an opaque attribute.
static std::optional<ParameterRef> parseParameterRef(Attribute attr) {
  auto opaque = dyn_cast_or_null<OpaqueAttr>(attr);
  if (!opaque)
    return std::nullopt;
  StringRef dialect = opaque.getDialectNamespace().getValue();
  if (dialect != "flow" && dialect != "stream")
    return std::nullopt;
  StringRef s = opaque.getAttrData().trim();
  if (!s.consume_front("parameter.named<"))
    return std::nullopt;
  ParameterRef ref;
  ref.dialect = dialect.str();
  std::optional<std::string> first = consumeQuoted(s);
  if (!first)
    return std::nullopt;
  s = s.ltrim();
  if (s.consume_front("::")) {
    s = s.ltrim();
    std::optional<std::string> second = consumeQuoted(s);
    if (!second)
      return std::nullopt;
    ref.scope = *first;
    ref.key = *second;
  } else {
    ref.key = *first;
  }
  if (s.ltrim() != ">")
    return std::nullopt;
  return ref;
}

/// The attribute spelling of a parameter reference.
static Attribute makeParameterRef(MLIRContext *ctx, StringRef dialect,
                                  StringRef scope, StringRef key, Type type) {
  std::string data;
  llvm::raw_string_ostream os(data);
  os << "parameter.named<";
  if (!scope.empty()) {
    os << '"';
    llvm::printEscapedString(scope, os);
    os << "\"::";
  }
  os << '"';
  llvm::printEscapedString(key, os);
  os << "\">";
  return OpaqueAttr::get(StringAttr::get(ctx, dialect), data, type);
}

/// safetensors dtype of an f32/f16/bf16/i32/i8 element type.
static StringRef dtypeName(Type t) {
  if (t.isF32())
    return "F32";
  if (t.isF16())
    return "F16";
  if (t.isBF16())
    return "BF16";
  if (t.isInteger(32))
    return "I32";
  if (t.isInteger(8))
    return "I8";
  return "";
}

/// Whether `use` reads the table of an embedding lookup the raise patterns
/// can match: a tensor.extract inside a linalg.generic or the source of a
/// tensor.gather.
static bool isLookupLikeUse(OpOperand &use) {
  Operation *user = use.getOwner();
  if (isa<tensor::ExtractOp>(user))
    return user->getParentOfType<linalg::GenericOp>() != nullptr;
  return isa<tensor::GatherOp>(user) && use.getOperandNumber() == 0;
}

/// Creates `"util.global.load"() <{global = @sym}>` like `proto`, which it
/// takes its other properties from.
static Value createLoad(OpBuilder &b, Location loc, Operation *proto,
                        StringRef sym, Type type) {
  MLIRContext *ctx = b.getContext();
  NamedAttrList props;
  if (auto dict =
          dyn_cast_or_null<DictionaryAttr>(proto->getPropertiesAsAttribute()))
    props.append(dict.getValue());
  props.set("global", FlatSymbolRefAttr::get(ctx, sym));
  OperationState state(loc, proto->getName());
  state.propertiesAttr = props.getDictionary(ctx);
  for (NamedAttribute attr : proto->getDiscardableAttrs())
    state.addAttribute(attr.getName(), attr.getValue());
  state.addTypes(type);
  return b.create(state)->getResult(0);
}

/// Creates a private immutable `"util.global"` after `after`.
static void createGlobal(OpBuilder &b, Operation *after, StringRef sym,
                         Type type, Attribute initialValue) {
  MLIRContext *ctx = b.getContext();
  NamedAttrList props;
  props.set("sym_name", StringAttr::get(ctx, sym));
  props.set("sym_visibility", StringAttr::get(ctx, "private"));
  props.set("type", TypeAttr::get(type));
  props.set("initial_value", initialValue);
  OperationState state(after->getLoc(), after->getName());
  state.propertiesAttr = props.getDictionary(ctx);
  b.setInsertionPointAfter(after);
  b.create(state);
}

/// The i8 bytes of an f8 `dense` or `dense_resource` attribute.
static TypedAttr asBytesAttr(TypedAttr attr) {
  auto type = cast<ShapedType>(attr.getType());
  auto bytesType = type.clone(IntegerType::get(attr.getContext(), 8));
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr))
    return DenseResourceElementsAttr::get(bytesType, resource.getRawHandle());
  return cast<DenseElementsAttr>(attr).bitcast(bytesType.getElementType());
}

LogicalResult QEmbedQuantizeGlobalsPass::initialize(MLIRContext *ctx) {
  Location loc = UnknownLoc::get(ctx);
  if (maxTableBytes <= 0)
    return emitError(loc) << "invalid options: max-table-bytes must be > 0, "
                             "got "
                          << int64_t(maxTableBytes);
  if (minTableBytes < 0 || minRows < 0)
    return emitError(loc) << "invalid options: min-table-bytes and min-rows "
                             "must be >= 0, got min-table-bytes="
                          << int64_t(minTableBytes)
                          << " min-rows=" << int64_t(minRows);
  if (bits < 2 || bits > 8 || groupSize < 0)
    return emitError(loc) << "invalid options: bits must be in [2, 8] and "
                             "group-size >= 0, got bits="
                          << unsigned(bits)
                          << " group-size=" << int64_t(groupSize);
  // The format options of --qembed-quantize, checked by the same functions.
  QEmbedQuantizeOptions vqOptions;
  vqOptions.vqDim = vqDim;
  vqOptions.vqEntries = vqEntries;
  vqOptions.vqStages = vqStages;
  vqOptions.vqGroups = vqGroups;
  vqOptions.vqIterations = vqIterations;
  vqOptions.vqCodebookType = vqCodebookType;
  if (format == "vq") {
    if (failed(checkVQOptions(ctx, vqOptions)))
      return failure();
    if (perTensor)
      return emitError(loc) << "invalid options: per-tensor is only for "
                               "format=fp8, got format=vq";
  }
  QuantizeFormatOptions fo;
  fo.format = format;
  fo.perTensor = perTensor;
  fo.bits = bits;
  fo.bitsGiven = bits.hasValue();
  fo.groupSize = groupSize;
  fo.groupSizeGiven = groupSize.hasValue();
  fo.symmetric = symmetric;
  fo.scaleType = scaleType;
  if (format != "vq" && failed(checkQuantizeFormatOptions(loc, fo)))
    return failure();
  config = QuantizeGlobalsConfig();
  config.quantize.bits = fo.bits;
  config.quantize.groupSize = fo.groupSize;
  config.quantize.format = format;
  config.quantize.perTensor = perTensor;
  config.quantize.vqDim = vqDim;
  config.quantize.vqEntries = vqEntries;
  config.quantize.vqStages = vqStages;
  config.quantize.vqGroups = vqGroups;
  config.quantize.vqIterations = vqIterations;
  config.quantize.vqCodebookType = vqCodebookType;
  config.quantize.seed = seed;
  config.quantize.symmetric = symmetric;
  config.quantize.maxTableBytes = maxTableBytes;
  config.quantize.minTableBytes = minTableBytes;
  config.quantize.minRows = minRows;
  config.quantize.report = report;
  config.tables = tables;
  config.outputParameters = outputParameters;
  config.outputScope = outputScope;
  if (scaleType == "f32")
    config.scaleType = Float32Type::get(ctx);
  else if (scaleType == "f16")
    config.scaleType = Float16Type::get(ctx);
  else if (scaleType == "bf16")
    config.scaleType = BFloat16Type::get(ctx);
  else if (!scaleType.empty())
    return emitError(loc) << "invalid scale-type '" << scaleType
                          << "': expected f16, bf16 or f32";
  std::string regexError;
  if (!tables.empty() && !llvm::Regex(tables).isValid(regexError))
    return emitError(loc) << "invalid tables='" << tables
                          << "': " << regexError;
  for (const std::string &entry : parameters) {
    auto [scope, path] = StringRef(entry).split('=');
    if (path.empty())
      return emitError(loc) << "invalid parameters entry '" << entry
                            << "': expected scope=path";
    if (!config.archives.try_emplace(scope, path.str()).second)
      return emitError(loc)
             << "invalid parameters: scope '" << scope << "' is given twice";
  }
  if (!outputParameters.empty() &&
      !StringRef(outputParameters).ends_with(".irpa") &&
      !StringRef(outputParameters).ends_with(".safetensors"))
    return emitError(loc) << "invalid output-parameters='" << outputParameters
                          << "': the name must end in .irpa or .safetensors";
  return success();
}

LogicalResult
mlir::qembed::quantizeGlobalTables(ModuleOp module,
                                   const QuantizeGlobalsConfig &config) {
  MLIRContext *ctx = module.getContext();
  const QEmbedQuantizeOptions &opts = config.quantize;
  int64_t maxTableBytes = opts.maxTableBytes;
  llvm::Regex filter(config.tables);

  // Top-level globals and every symbol name (new globals must not clash).
  llvm::StringMap<Operation *> globals;
  llvm::StringSet<> symbols;
  for (Operation &op : module.getBody()->getOperations()) {
    auto sym = dyn_cast_or_null<StringAttr>(op.getAttr("sym_name"));
    if (!sym)
      continue;
    symbols.insert(sym.getValue());
    if (op.getName().getStringRef() == "util.global")
      globals[sym.getValue()] = &op;
  }
  // Loads by global, in walk order.
  llvm::MapVector<Operation *, SmallVector<Operation *>> loadsOf;
  module.walk([&](Operation *op) {
    if (op->getName().getStringRef() != "util.global.load" ||
        op->getNumResults() != 1)
      return;
    auto sym = dyn_cast_or_null<FlatSymbolRefAttr>(op->getAttr("global"));
    if (!sym)
      return;
    if (Operation *global = globals.lookup(sym.getValue()))
      loadsOf[global].push_back(op);
  });

  // Tables: globals with a load read by a lookup-like op. Options and
  // values are checked before anything is rewritten.
  std::vector<TableGlobal> tables;
  llvm::StringMap<std::unique_ptr<ParameterArchive>> archives;
  bool failedAny = false;
  for (auto &entry : loadsOf) {
    Operation *global = entry.first;
    ArrayRef<Operation *> loads = entry.second;
    auto type =
        dyn_cast<RankedTensorType>(loads.front()->getResult(0).getType());
    if (!type || type.getRank() != 2 || !getFloatKind(type.getElementType()))
      continue;
    bool read = llvm::any_of(loads, [](Operation *load) {
      return llvm::any_of(load->getResult(0).getUses(), isLookupLikeUse);
    });
    if (!read)
      continue;
    TableGlobal t{global,
                  cast<StringAttr>(global->getAttr("sym_name")).str(),
                  type,
                  {},
                  {}};
    Attribute init = global->getAttr("initial_value");
    t.parameter = parseParameterRef(init);
    auto leftDense = [&](const Twine &why) {
      global->emitRemark("table left dense: ") << why;
    };
    if (global->hasAttr("is_mutable")) {
      leftDense("the global is mutable");
      continue;
    }
    if (!init) {
      leftDense("the global has no initial value (it is set by an "
                "initializer)");
      continue;
    }
    if (!t.parameter &&
        !isa<DenseElementsAttr, DenseResourceElementsAttr>(init)) {
      leftDense("its initial value is neither a constant nor a "
                "#flow.parameter.named / #stream.parameter.named parameter");
      continue;
    }
    if (cast<TypedAttr>(init).getType() != type) {
      leftDense("its initial value's type differs from its loads' type");
      continue;
    }
    if (!config.tables.empty() && !filter.match(t.name) &&
        !(t.parameter && filter.match(t.parameter->key))) {
      leftDense("its name '" + t.name +
                (t.parameter ? "' (parameter '" + t.parameter->key + "')"
                             : std::string("'")) +
                " does not match tables='" + config.tables + "'");
      continue;
    }
    // The reasons of --qembed-quantize, from the type alone.
    {
      OpBuilder b(global);
      auto probe = arith::ConstantOp::create(
          b, global->getLoc(), type,
          DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
      std::string why = opts.format == "vq" ? whyTableLeftDenseVQ(probe, opts)
                                            : whyTableLeftDense(probe, opts);
      probe.erase();
      if (!why.empty()) {
        leftDense(why);
        continue;
      }
    }
    // The value: inline, or read from the scope's archive.
    TypedAttr value;
    if (!t.parameter) {
      value = cast<TypedAttr>(init);
    } else {
      const ParameterRef &p = *t.parameter;
      if (config.outputParameters.empty()) {
        global->emitError("cannot quantize parameter '")
            << p.key << "': no output-parameters=<file.irpa> to write the "
            << "packed tensors to";
        failedAny = true;
        continue;
      }
      auto path = config.archives.find(p.scope);
      if (path == config.archives.end()) {
        global->emitError("cannot quantize parameter '")
            << p.key << "': no archive for scope '" << p.scope
            << "' (pass parameters=" << p.scope << "=<file>)";
        failedAny = true;
        continue;
      }
      std::unique_ptr<ParameterArchive> &archive = archives[p.scope];
      if (!archive) {
        llvm::Expected<std::unique_ptr<ParameterArchive>> opened =
            ParameterArchive::open(path->second);
        if (!opened) {
          global->emitError("cannot quantize parameter '")
              << p.key << "': " << llvm::toString(opened.takeError());
          failedAny = true;
          continue;
        }
        archive = std::move(*opened);
      }
      const ArchiveEntry *entry = archive->find(p.key);
      if (!entry) {
        global->emitError("cannot quantize parameter '")
            << p.key << "': parameter archive '" << archive->getPath()
            << "' has no such key";
        failedAny = true;
        continue;
      }
      std::optional<int64_t> bytes = getByteSizeChecked(type);
      if (archive->isTyped()) {
        std::vector<int64_t> shape(type.getShape());
        if (entry->dtype != dtypeName(type.getElementType()) ||
            entry->shape != shape) {
          std::string got;
          llvm::raw_string_ostream os(got);
          os << entry->dtype << " [";
          llvm::interleaveComma(entry->shape, os);
          os << "]";
          global->emitError("cannot quantize parameter '")
              << p.key << "': archive '" << archive->getPath() << "' holds "
              << got << ", the global is " << type;
          failedAny = true;
          continue;
        }
      } else if (!bytes || uint64_t(*bytes) != entry->length) {
        global->emitError("cannot quantize parameter '")
            << p.key << "': archive '" << archive->getPath() << "' holds "
            << entry->length << " bytes, the global's " << type << " takes "
            << (bytes ? *bytes : -1);
        failedAny = true;
        continue;
      }
      if (!bytes || *bytes > maxTableBytes) {
        global->emitError("cannot quantize parameter '")
            << p.key << "': it takes more than " << int64_t(maxTableBytes)
            << " bytes (max-table-bytes)";
        failedAny = true;
        continue;
      }
      std::vector<char> storage;
      ArrayRef<char> data = archive->getBytes(*entry, storage);
      value = cast<TypedAttr>(makeElementsAttr(type, data, /*asResource=*/true,
                                               "qembed_parameter"));
    }
    // Stand-in constants for the loads; the loads stay (unused) until the
    // end, to be restored for uses that are not quantized lookups.
    for (Operation *load : loads) {
      OpBuilder b(load);
      b.setInsertionPointAfter(load);
      auto c = arith::ConstantOp::create(b, load->getLoc(), type, value);
      load->getResult(0).replaceAllUsesWith(c.getResult());
      t.loads.push_back({load, c});
    }
    tables.push_back(std::move(t));
  }
  if (failedAny)
    return failure();

  // Raise the lookups reading the stand-ins.
  SmallVector<Operation *> candidates;
  for (TableGlobal &t : tables)
    for (auto &[load, c] : t.loads)
      for (Operation *user : c->getUsers()) {
        if (isa<tensor::GatherOp>(user))
          candidates.push_back(user);
        else if (auto g = user->getParentOfType<linalg::GenericOp>())
          candidates.push_back(g);
      }
  RewritePatternSet patterns(ctx);
  populateRaiseLookupsPatterns(patterns);
  GreedyRewriteConfig greedy;
  greedy.setStrictness(GreedyRewriteStrictness::ExistingOps);
  greedy.enableConstantCSE(false);
  (void)applyOpPatternsGreedily(candidates, std::move(patterns), greedy);

  std::vector<ArchiveTensor> written;
  llvm::StringMap<std::string> writtenFrom; // key -> scope of its parameter
  OpBuilder b(ctx);
  for (TableGlobal &t : tables) {
    SmallVector<LookupOp> lookups;
    for (auto &[load, c] : t.loads)
      for (Operation *user : c->getUsers())
        if (auto l = dyn_cast<LookupOp>(user); l && l.getTable() == c)
          lookups.push_back(l);
    // Integer and float formats (q), or codebook VQ (qv).
    bool vq = opts.format == "vq";
    FailureOr<QuantizedTableAttrs> q = failure();
    FailureOr<QuantizedVQTableAttrs> qv = failure();
    if (lookups.empty()) {
      t.global->emitRemark("table left dense: none of its loads is read by "
                           "an embedding lookup qembed raises (see "
                           "--qembed-raise-lookups=\"remarks=true\")");
    } else if (vq) {
      qv =
          quantizeConstantTableVQ(t.loads.front().second, opts, lookups.size());
      failedAny |= failed(qv);
    } else {
      q = quantizeConstantTable(t.loads.front().second, opts, config.scaleType,
                                lookups.size());
      failedAny |= failed(q);
    }
    if (vq ? failed(qv) : failed(q)) {
      // Restore the loads.
      for (auto &[load, c] : t.loads) {
        c.getResult().replaceAllUsesWith(load->getResult(0));
        c.erase();
      }
      continue;
    }
    // New globals (and archive entries for parameters).
    struct Part {
      StringRef suffix;
      TypedAttr attr;
      std::string sym;
    };
    // f8 scales (nvfp4, mxfp4) are stored as their bytes (IREE 3.13 has no
    // f8 globals) and cast back to f8 after each load.
    // VQ: codes, scales, codebooks.
    SmallVector<Part> parts;
    ShapedType scalesType;
    bool f8Scales = false;
    if (vq) {
      parts = {{"qembed_codes", qv->codes, ""},
               {"qembed_scales", qv->scales, ""},
               {"qembed_codebooks", qv->codebooks, ""}};
    } else {
      scalesType = cast<ShapedType>(q->scales.getType());
      f8Scales =
          isa<Float8E4M3FNType, Float8E8M0FNUType>(scalesType.getElementType());
      TypedAttr storedScales =
          f8Scales ? asBytesAttr(q->scales) : TypedAttr(q->scales);
      parts = {{"qembed_packed", q->packed, ""},
               {"qembed_scales", storedScales, ""}};
      if (q->zeroPoints)
        parts.push_back({"qembed_zero_points", q->zeroPoints, ""});
    }
    Operation *after = t.global;
    bool partFailed = false;
    for (Part &part : parts) {
      std::string sym = t.name + "." + part.suffix.str();
      for (int i = 1; symbols.contains(sym); ++i)
        sym = t.name + "." + part.suffix.str() + "_" + std::to_string(i);
      symbols.insert(sym);
      part.sym = sym;
      Attribute init = part.attr;
      if (t.parameter) {
        const ParameterRef &p = *t.parameter;
        std::string key = p.key + "." + part.suffix.str();
        init = makeParameterRef(ctx, p.dialect,
                                config.outputScope.empty()
                                    ? StringRef(p.scope)
                                    : StringRef(config.outputScope),
                                key, part.attr.getType());
        // Globals naming the same parameter share its packed tensors; one
        // key from two scopes would be two tensors under one name.
        auto [source, fresh] = writtenFrom.try_emplace(key, p.scope);
        if (!fresh) {
          if (source->second != p.scope) {
            t.global->emitError("cannot write the packed tensor '")
                << key << "': parameters of scopes '" << source->second
                << "' and '" << p.scope << "' would share this key in "
                << config.outputParameters;
            partFailed = true;
            break;
          }
          createGlobal(b, after, sym, part.attr.getType(), init);
          after = after->getNextNode();
          continue;
        }
        std::string why;
        FailureOr<RawTensorData> raw = getRawTensorData(part.attr, why);
        auto st = cast<ShapedType>(part.attr.getType());
        if (succeeded(raw))
          (void)expandSplat(*raw, st, maxTableBytes, why);
        if (failed(raw) || raw->isSplat) {
          t.global->emitError("cannot write the packed tensor '")
              << key << "': " << why;
          partFailed = true;
          break;
        }
        written.push_back(
            {key, dtypeName(st.getElementType()).str(),
             std::vector<int64_t>(st.getShape()),
             std::vector<char>(raw->bytes.begin(), raw->bytes.end())});
      }
      createGlobal(b, after, sym, part.attr.getType(), init);
      after = after->getNextNode();
    }
    if (partFailed) {
      failedAny = true;
      for (auto &[load, c] : t.loads) {
        c.getResult().replaceAllUsesWith(load->getResult(0));
        c.erase();
      }
      continue;
    }
    bool keptDense = false;
    for (auto &[load, c] : t.loads) {
      b.setInsertionPoint(c);
      SmallVector<Value> loaded;
      for (const Part &part : parts)
        loaded.push_back(
            createLoad(b, c.getLoc(), load, part.sym, part.attr.getType()));
      if (f8Scales)
        loaded[1] =
            arith::BitcastOp::create(b, c.getLoc(), scalesType, loaded[1]);
      for (Operation *user : llvm::make_early_inc_range(c->getUsers())) {
        auto lookup = dyn_cast<LookupOp>(user);
        if (!lookup || lookup.getTable() != c)
          continue;
        b.setInsertionPoint(lookup);
        Value rows =
            vq ? CodebookGatherOp::create(b, lookup.getLoc(), lookup.getType(),
                                          loaded[0], lookup.getIds(), loaded[1],
                                          loaded[2], qv->codebook)
                     .getResult()
               : GatherOp::create(b, lookup.getLoc(), lookup.getType(),
                                  loaded[0], lookup.getIds(), loaded[1],
                                  parts.size() > 2 ? loaded[2] : Value(),
                                  q->scheme)
                     .getResult();
        lookup.replaceAllUsesWith(rows);
        lookup.erase();
      }
      keptDense |= !c->use_empty();
      c.getResult().replaceAllUsesWith(load->getResult(0));
      c.erase();
    }
    if (opts.report)
      t.global->emitRemark(vq ? qv->report : q->report);
    // Said whatever `report` says: the module keeps both copies.
    if (keptDense)
      t.global->emitRemark("table quantized for its lookups; the global is "
                           "kept for its other uses, which stay exact (the "
                           "module holds both)");
  }
  // Loads left unused, and table globals left without loads (private ones:
  // a public global may be read from outside the module).
  for (TableGlobal &t : tables) {
    bool loaded = false;
    for (auto &[load, c] : t.loads) {
      if (load->use_empty())
        load->erase();
      else
        loaded = true;
    }
    auto vis =
        dyn_cast_or_null<StringAttr>(t.global->getAttr("sym_visibility"));
    if (!loaded && loadsOf[t.global].size() == t.loads.size() && vis &&
        vis.getValue() == "private")
      t.global->erase();
  }
  // Nothing is written when anything failed.
  if (!failedAny && !written.empty()) {
    if (llvm::Error err =
            writeParameterArchive(config.outputParameters, written)) {
      module.emitError(llvm::toString(std::move(err)));
      failedAny = true;
    }
  }
  return failure(failedAny);
}

void QEmbedQuantizeGlobalsPass::runOnOperation() {
  if (failed(quantizeGlobalTables(getOperation(), config)))
    signalPassFailure();
}
