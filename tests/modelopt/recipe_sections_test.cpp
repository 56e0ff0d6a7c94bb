// qcfg against ModelOpt 0.47's own decisions on speculative-decoding, distillation and
// auto_quantize sections (tests/modelopt/recipe_sections/golden.json, recorded by
// tools/modelopt/record_recipe_cases.py): the model_dump() of what ModelOpt accepts, value and
// type for value and type; for what it rejects, the same set of field paths (pydantic's `loc`),
// each error located in the file.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "compiler/json_writer.h"
#include "driver/pipeline.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const fs::path kRepo = QCFG_SOURCE_ROOT;

// A diagnostic, rendered while its source files are alive.
struct Reported {
  qcfg::Severity severity;
  bool located;
  std::string message;
  std::string rule_id;
  std::string text;
};

struct Outcome {
  bool ok = false;
  json output;
  std::vector<Reported> diagnostics;
};

Outcome load(const std::string& file) {
  qcfg::SourceManager sources;
  qcfg::Diagnostics diags;
  qcfg::LoadOptions options;
  options.mode = qcfg::ReadMode::RecipeTree;
  options.recipe_root = (kRepo / "tests/modelopt/recipes").string();
  options.cwd = kRepo.string();
  Outcome out;
  std::optional<qcfg::LoadedFile> loaded = qcfg::load_file(file, options, sources, diags);
  for (const qcfg::Diagnostic& d : diags.items()) {
    out.diagnostics.push_back(
        {d.severity, d.loc.known(), d.message, d.rule_id, qcfg::render_text(d, false)});
  }
  if (loaded) {
    out.ok = true;
    out.output = json::parse(qcfg::to_json(qcfg::render_loaded_file(*loaded)));
  }
  return out;
}

// Exact comparison; a QuantizeConfig (marked in the golden) must be there, its content is the
// QuantizeConfig conformance suites' business.
std::string compare(const json& expected, const json& actual, const std::string& path) {
  if (expected.is_object() && expected.contains("__quantize_config__")) {
    return actual.is_object() && actual.contains("quant_cfg") ? "" : path + ": no QuantizeConfig";
  }
  if (expected.is_object() && actual.is_object()) {
    for (const auto& [key, value] : actual.items()) {
      if (!expected.contains(key)) return path + "." + key + ": unexpected";
    }
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) return path + "." + key + ": missing";
      std::string diff = compare(value, actual[key], path + "." + key);
      if (!diff.empty()) return diff;
    }
    return {};
  }
  if (expected.is_array() && actual.is_array() && expected.size() == actual.size()) {
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string diff = compare(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
      if (!diff.empty()) return diff;
    }
    return {};
  }
  // nlohmann keeps int and float apart in type() but compares 1 == 1.0 equal: check both.
  if (expected.type() != actual.type() || expected != actual) {
    return path + ": got " + actual.dump() + ", expected " + expected.dump();
  }
  return {};
}

// pydantic's loc ["dflash", "dflash_block_size"], ["t_list", 0], [] as qcfg writes field paths.
std::string loc_text(const json& loc) {
  std::string out;
  for (const json& part : loc) {
    if (part.is_number()) {
      out += "[" + std::to_string(part.get<int>()) + "]";
    } else {
      out += (out.empty() ? "" : ".") + part.get<std::string>();
    }
  }
  return out.empty() ? "<root>" : out;
}

std::string render(const std::vector<Reported>& diags) {
  std::string out;
  for (const Reported& d : diags) out += "\n    " + d.text;
  return out;
}

std::string judge_rejected(const json& expected, const Outcome& got) {
  if (got.ok) return "ModelOpt rejects it, qcfg accepted it";
  std::set<std::string> paths;
  for (const Reported& d : got.diagnostics) {
    if (d.severity != qcfg::Severity::Error) continue;
    if (!d.located) return "an error without a location:" + render(got.diagnostics);
    paths.insert(d.message.substr(0, d.message.find(": ")));
  }
  if (!expected.contains("errors")) return {};  // ModelOpt raised; any located error will do
  std::set<std::string> want;
  for (const json& e : expected["errors"]) want.insert(loc_text(e["loc"]));
  if (paths == want) return {};
  std::string w;
  for (const std::string& p : want) w += " " + p;
  return "error paths differ: ModelOpt's" + w + "; qcfg's:" + render(got.diagnostics);
}

std::string judge_accepted(const json& expected, const Outcome& got) {
  if (!got.ok) return "qcfg rejected what ModelOpt accepts:" + render(got.diagnostics);
  if (!got.output.contains("model_dump")) return "no model_dump in the output";
  std::string diff = compare(expected["model_dump"], got.output["model_dump"], "model_dump");
  if (!diff.empty()) return diff;
  size_t warnings = 0;
  for (const Reported& d : got.diagnostics) {
    if (d.severity == qcfg::Severity::Warning && d.rule_id == "speculative-rope-length") ++warnings;
  }
  if (warnings != expected["warnings"].size()) {
    return "ModelOpt warns " + std::to_string(expected["warnings"].size()) + " time(s), qcfg " +
           std::to_string(warnings);
  }
  return {};
}

}  // namespace

TEST_CASE("speculative, distillation and auto_quantize sections match ModelOpt 0.47") {
  std::ifstream in(kRepo / "tests/modelopt/recipe_sections/golden.json");
  REQUIRE(in.good());
  const json golden = json::parse(in);
  std::vector<std::string> failures;
  size_t total = 0;
  for (const auto& [file, expected] : golden["cases"].items()) {
    ++total;
    const Outcome got = load((kRepo / file).string());
    const std::string diff =
        expected["ok"].get<bool>() ? judge_accepted(expected, got) : judge_rejected(expected, got);
    if (!diff.empty()) failures.push_back(file + ": " + diff);
  }
  for (const std::string& f : failures) MESSAGE(f);
  MESSAGE("recipe-section cases identical to ModelOpt: " << (total - failures.size()) << "/"
                                                         << total);
  CHECK(total >= 119);
  CHECK(failures.empty());
}
