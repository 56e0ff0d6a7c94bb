#include <fmt/format.h>

#include <map>

#include "compiler/json_writer.h"
#include "lint/emit.h"
#include "lint/sarif_location.h"

namespace qcfg::lint {
namespace {

constexpr const char* kSchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";
// Where docs/ is published; SARIF wants absolute URIs for helpUri and informationUri.
constexpr const char* kDocsBase = "https://github.com/nvidia/qcfg/blob/main/docs/";

Value text_object(const std::string& text) {
  Value v = Value::map();
  v.set("text", Value::string(text));
  return v;
}

const char* sarif_level(Severity s) {
  return s == Severity::Error ? "error" : s == Severity::Warning ? "warning" : "note";
}

Value rule_descriptor(const RuleInfo& r) {
  Value v = Value::map();
  v.set("id", Value::string(r.id));
  v.set("name", Value::string(r.name));
  v.set("shortDescription", text_object(r.summary));
  v.set("fullDescription", text_object(r.doc));
  v.set("helpUri", Value::string(std::string(kDocsBase) + "rules/" + rule_page_name(r)));
  Value help = text_object(r.summary);
  help.set("markdown", Value::string(render_rule_page(r)));
  v.set("help", std::move(help));
  Value config = Value::map();
  config.set("level", Value::string(sarif_level(r.severity)));
  v.set("defaultConfiguration", std::move(config));
  return v;
}

// GitHub deduplicates alerts across runs by this hash of the rule and the (trimmed) source line,
// with a counter for identical lines.
std::string line_hash(const Diagnostic& d, std::map<std::string, int>& seen) {
  std::string_view line = d.loc.known() ? d.loc.file->line_text(d.loc.line) : "";
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : d.rule_id + "\n" + std::string(line)) {
    h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  }
  const std::string hash = fmt::format("{:016x}", h);
  return fmt::format("{}:{}", hash, ++seen[hash]);
}

Value result_value(const Finding& f, const std::map<std::string, int64_t>& rule_index,
                   const std::string& base_dir, std::map<std::string, int>& hashes) {
  const Diagnostic& d = f.diag;
  Value v = Value::map();
  v.set("ruleId", Value::string(d.rule_id));
  if (auto it = rule_index.find(d.rule_id); it != rule_index.end())
    v.set("ruleIndex", Value::integer(it->second));
  v.set("level", Value::string(sarif_level(d.severity)));
  std::string message = d.message;
  for (const std::string& n : d.notes) message += "\nnote: " + n;
  v.set("message", text_object(message));
  Value region = Value::map();
  region.set("startLine", Value::integer(std::max<uint32_t>(d.loc.line, 1)));
  const std::string_view line = d.loc.known() ? d.loc.file->line_text(d.loc.line) : "";
  region.set("startColumn",
             Value::integer(utf16_column(line, std::max<uint32_t>(d.loc.column, 1))));
  Value physical = Value::map();
  physical.set("artifactLocation", artifact_location(d.loc.file ? d.loc.file->path : "", base_dir));
  physical.set("region", std::move(region));
  Value location = Value::map();
  location.set("physicalLocation", std::move(physical));
  Value locations = Value::list();
  locations.push_back(std::move(location));
  v.set("locations", std::move(locations));
  Value fingerprints = Value::map();
  fingerprints.set("primaryLocationLineHash", Value::string(line_hash(d, hashes)));
  v.set("partialFingerprints", std::move(fingerprints));
  return v;
}

}  // namespace

std::string render_sarif_report(const std::vector<FileResult>& files,
                                const std::vector<const Rule*>& rules,
                                const std::string& base_dir) {
  Value descriptors = Value::list();
  std::map<std::string, int64_t> rule_index;
  for (const Rule* r : rules) {
    rule_index[r->info().id] = static_cast<int64_t>(descriptors.size());
    descriptors.push_back(rule_descriptor(r->info()));
  }
  Value driver = Value::map();
  driver.set("name", Value::string("qcfg"));
  driver.set("informationUri", Value::string(std::string(kDocsBase) + "lint.md"));
  driver.set("version", Value::string("0.1.0"));
  driver.set("rules", std::move(descriptors));
  Value tool = Value::map();
  tool.set("driver", std::move(driver));
  Value results = Value::list();
  std::map<std::string, int> hashes;
  for (const FileResult& f : files) {
    for (const Finding& finding : f.findings)
      results.push_back(result_value(finding, rule_index, base_dir, hashes));
  }
  Value run = Value::map();
  run.set("tool", std::move(tool));
  Value root = Value::map();
  root.set("uri", Value::string(base_uri(base_dir)));
  Value bases = Value::map();
  bases.set(kSrcRoot, std::move(root));
  run.set("originalUriBaseIds", std::move(bases));
  // Said explicitly although it is SARIF's default: the columns were converted from bytes.
  run.set("columnKind", Value::string("utf16CodeUnits"));
  run.set("results", std::move(results));
  Value runs = Value::list();
  runs.push_back(std::move(run));
  Value log = Value::map();
  log.set("$schema", Value::string(kSchemaUri));
  log.set("version", Value::string("2.1.0"));
  log.set("runs", std::move(runs));
  return to_json(log) + "\n";
}

}  // namespace qcfg::lint
