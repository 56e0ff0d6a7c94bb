#include "migrations/equivalence.h"

#include <fmt/format.h>

#include <filesystem>

#include "compiler/json_writer.h"

namespace qcfg::migrations {

namespace {

std::string compact(const Value& v) { return to_json(v, JsonStyle{-1, true}); }

std::string parent_text(const std::optional<std::string>& p) { return p ? "'" + *p + "'" : "none"; }

std::optional<std::string> entry_difference(const QuantizerEntry& a, const QuantizerEntry& b) {
  if (a.quantizer_name != b.quantizer_name) {
    return fmt::format("quantizer_name '{}' became '{}'", a.quantizer_name, b.quantizer_name);
  }
  if (a.parent_class != b.parent_class) {
    return fmt::format("parent_class {} became {}", parent_text(a.parent_class),
                       parent_text(b.parent_class));
  }
  if (a.enable != b.enable) return fmt::format("enable {} became {}", a.enable, b.enable);
  if (a.cfg_kind != b.cfg_kind || !python_equal(a.cfg_full, b.cfg_full)) {
    return fmt::format("cfg {} became {}", compact(a.cfg_full), compact(b.cfg_full));
  }
  return std::nullopt;
}

std::optional<std::string> entries_difference(const std::vector<QuantizerEntry>& a,
                                              const std::vector<QuantizerEntry>& b) {
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (auto d = entry_difference(a[i], b[i])) return fmt::format("entry {}: {}", i, *d);
  }
  if (a.size() != b.size()) return fmt::format("{} entries became {}", a.size(), b.size());
  return std::nullopt;
}

std::optional<std::string> config_difference(const QuantizeConfig& a, const QuantizeConfig& b) {
  if (auto d = entries_difference(a.quant_cfg, b.quant_cfg)) return d;
  if (!python_equal(a.algorithm, b.algorithm)) {
    return fmt::format("algorithm {} became {}", compact(a.algorithm), compact(b.algorithm));
  }
  if (!python_equal(a.effective_bits, b.effective_bits)) {
    return fmt::format("effective_bits {} became {}", compact(a.effective_bits),
                       compact(b.effective_bits));
  }
  return std::nullopt;
}

}  // namespace

NormalizedText normalize_text(const std::string& path, std::string_view text,
                              const MigrateOptions& options) {
  NormalizedText out;
  out.sources = std::make_unique<SourceManager>();
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::weakly_canonical(path, ec);
  // Registered under `path`, so the pipeline reads this text instead of the file on disk.
  out.sources->add(path, ec ? path : abs.string(), std::string(text));
  LoadOptions load;
  load.mode = ReadMode::Auto;
  load.recipe_root = options.recipe_root;
  load.cwd = options.cwd;
  load.allow_outside_root = options.allow_outside_root;
  out.file = load_file(path, load, *out.sources, out.diags);
  return out;
}

std::optional<std::string> first_difference(const LoadedFile& before, const LoadedFile& after) {
  const auto& a = before.quantize_configs;
  const auto& b = after.quantize_configs;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i].first != b[i].first) {
      return fmt::format("quantize config '{}' became '{}'", a[i].first, b[i].first);
    }
    if (auto d = config_difference(a[i].second, b[i].second)) {
      return a[i].first == "$" ? *d : fmt::format("in '{}': {}", a[i].first, *d);
    }
  }
  if (a.size() != b.size()) {
    return fmt::format("{} quantize configs became {}", a.size(), b.size());
  }
  if (before.entries.has_value() != after.entries.has_value()) {
    return std::string("the file stopped (or started) being an entry list");
  }
  if (before.entries) return entries_difference(*before.entries, *after.entries);
  return std::nullopt;
}

}  // namespace qcfg::migrations
