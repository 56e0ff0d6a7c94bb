// Linting files: load each file once through the pipeline, run the selected rules, drop
// suppressed and duplicate findings, and order them by location.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "driver/pipeline.h"
#include "lint/rule.h"

namespace qcfg::lint {

struct LintOptions {
  LoadOptions load;  // recipe root, working directory, read limits (mode is always Auto)
  // Rule ids, names or id prefixes ("QC0"); an empty `select` selects every rule.
  std::vector<std::string> select;
  std::vector<std::string> ignore;
  const resolver::Inventory* inventory = nullptr;  // --model / --inventory
  // Serving engines the checkpoint is for (--target: "vllm", "trtllm", "sglang").
  std::vector<std::string> targets;
  resolver::ResolveOptions resolve;
  MigrateFix migrate_fix;  // the legacy-format fix (QC001); empty: none offered
};

struct FileResult {
  std::string path;
  std::vector<Finding> findings;  // by file, line, column, rule id
};

class Linter {
 public:
  // Throws std::invalid_argument for a --select/--ignore item that names no rule.
  explicit Linter(LintOptions options);

  FileResult lint_file(const std::string& path);
  const std::vector<const Rule*>& selected_rules() const { return rules_; }
  SourceManager& sources() { return sources_; }

 private:
  void build_context(const std::string& path, LintContext& ctx);
  void keep(const Finding& f, FileResult& out);

  LintOptions options_;
  std::vector<const Rule*> rules_;
  SourceManager sources_;
  std::set<std::string> reported_;  // a finding in an imported snippet is reported once per run
};

// Whether `selector` (id, name or id prefix) selects `rule`.
bool selects(const std::string& selector, const RuleInfo& rule);

}  // namespace qcfg::lint
