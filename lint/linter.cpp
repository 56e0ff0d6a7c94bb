#include "lint/linter.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "compiler/document/reader.h"
#include "compiler/input_file.h"
#include "compiler/loader/loader.h"
#include "lint/raw_view.h"
#include "lint/suppress.h"

namespace qcfg::lint {
namespace {

bool ends_with_json(const std::string& path) {
  if (path.size() < 5) return false;
  std::string tail = path.substr(path.size() - 5);
  std::transform(tail.begin(), tail.end(), tail.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return tail == ".json";
}

std::vector<Value> read_documents(const SourceFile& file, bool is_json, const ReadLimits& limits,
                                  std::vector<DuplicateKey>& duplicates) {
  try {
    if (is_json) return {read_json(file, limits, &duplicates)};
    return read_yaml_documents(file, limits, &duplicates);
  } catch (const CompileError&) {
    duplicates.clear();  // the file does not parse: only that is worth saying
    return {};           // load_file reports the same error, located
  }
}

// The file whose entries a path stands for: the path itself, or for a directory recipe its
// quantize.yml|yaml, named as the loader names it (so both share one SourceFile).
std::string file_with_entries(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return path;
  for (const char* name : {"quantize.yml", "quantize.yaml"}) {
    const std::string candidate = (fs::path(path) / name).string();
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return path;
}

bool is_partial(const std::string& input_kind, const std::string& where) {
  return input_kind == "snippet" || where.find("kv_cache") != std::string::npos;
}

bool finding_less(const Finding& a, const Finding& b) {
  const SourceLocation& x = a.diag.loc;
  const SourceLocation& y = b.diag.loc;
  const std::string px = x.file ? x.file->path : "", py = y.file ? y.file->path : "";
  if (px != py) return px < py;
  if (x.line != y.line) return x.line < y.line;
  if (x.column != y.column) return x.column < y.column;
  return a.diag.rule_id < b.diag.rule_id;
}

}  // namespace

bool selects(const std::string& selector, const RuleInfo& rule) {
  return selector == rule.name || rule.id.rfind(selector, 0) == 0;
}

Linter::Linter(LintOptions options) : options_(std::move(options)) {
  auto check_known = [](const std::vector<std::string>& items) {
    for (const std::string& s : items) {
      const bool known = std::any_of(all_rules().begin(), all_rules().end(),
                                     [&](const Rule* r) { return selects(s, r->info()); });
      if (!known) throw std::invalid_argument("no lint rule matches '" + s + "'");
    }
  };
  check_known(options_.select);
  check_known(options_.ignore);
  for (const Rule* r : all_rules()) {
    auto hit = [&](const std::string& s) { return selects(s, r->info()); };
    const bool chosen =
        options_.select.empty() || std::any_of(options_.select.begin(), options_.select.end(), hit);
    const bool dropped = std::any_of(options_.ignore.begin(), options_.ignore.end(), hit);
    if (chosen && !dropped) rules_.push_back(r);
  }
}

void Linter::build_context(const std::string& path, LintContext& ctx) {
  const std::string text_path = file_with_entries(path);
  try {
    // Bounded as the loader's reads are: a huge file is refused before it is held.
    ctx.file =
        read_input_file(sources_, text_path, options_.load.limits.max_bytes, kConfigSizeAdvice);
  } catch (const CompileError&) {
    ctx.file = nullptr;  // load_file reports the same error
  }
  ctx.is_json = ends_with_json(text_path);
  ctx.migrate_fix = options_.migrate_fix;
  if (ctx.file)
    ctx.documents =
        read_documents(*ctx.file, ctx.is_json, options_.load.limits, ctx.duplicate_keys);

  // Exactly as `qcfg check` loads it (one classification, in the pipeline): lint reports at
  // least every error check reports (tests/lint/lint_covers_check_test.cpp).
  LoadOptions lo = options_.load;
  lo.mode = ReadMode::Auto;
  Diagnostics diags;
  ctx.loaded = load_file(path, lo, sources_, diags);
  ctx.load_diagnostics = diags.items();
  // An unreadable file still gets a location (its path) for the findings about it; a name only,
  // so that no later load (an import of the same path) is served its empty text.
  if (!ctx.file) ctx.file = sources_.name_only(path);

  const std::string header =
      ctx.file && !ctx.is_json ? loader::scan_schema_header(ctx.file->text).value : "";
  ctx.raw_quant_cfgs =
      find_raw_quant_cfgs(ctx.documents, header, ctx.loaded ? ctx.loaded->input_kind : "");
  if (!ctx.loaded) return;
  for (const auto& [where, qc] : ctx.loaded->quantize_configs) {
    ctx.configs.push_back(
        {where, &qc.quant_cfg, &qc, is_partial(ctx.loaded->input_kind, where), nullptr});
  }
  if (ctx.loaded->entries)
    ctx.configs.push_back({"entries", &*ctx.loaded->entries, nullptr, true, nullptr});
  if (!options_.inventory) return;
  ctx.inventory = options_.inventory;
  ctx.targets = options_.targets;
  for (ConfigUnderLint& c : ctx.configs) {
    ctx.resolutions.push_back(resolver::resolve(*options_.inventory, *c.entries, options_.resolve));
    c.resolution = &ctx.resolutions.back();
  }
}

void Linter::keep(const Finding& f, FileResult& out) {
  const SourceLocation& at = f.diag.loc;
  if (at.file) {
    const Rule* rule = find_rule(f.diag.rule_id);
    const std::string name = rule ? rule->info().name : "";
    if (suppressed_at(*at.file, at.line, f.diag.rule_id, name)) return;
    const SourceLocation& entry = f.entry_loc;
    if (entry.file == at.file && suppressed_at(*at.file, entry.line, f.diag.rule_id, name)) return;
  }
  const std::string key = f.diag.rule_id + "|" + at.str() + "|" + f.diag.message;
  if (!reported_.insert(key).second) return;
  out.findings.push_back(f);
}

FileResult Linter::lint_file(const std::string& path) {
  LintContext ctx;
  build_context(path, ctx);
  std::vector<Finding> found;
  for (const Rule* rule : rules_) {
    if (rule->info().needs_model && !ctx.inventory) continue;
    Reporter reporter(rule->info(), found);
    rule->check(ctx, reporter);
  }
  FileResult out;
  out.path = path;
  for (const Finding& f : found) keep(f, out);
  std::stable_sort(out.findings.begin(), out.findings.end(), finding_less);
  return out;
}

}  // namespace qcfg::lint
