// The lint rule interface and registry. Each rule is one file under lint/rules/ that defines a
// Rule subclass and an accessor `const Rule& qcNNN_rule()`, listed in lint/rules/all_rules.cpp;
// its metadata (id, name, severity,
// summary, documentation, examples) drives `qcfg lint --list-rules`, `--explain ID`, SARIF rule
// descriptors and the pages under docs/rules/.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "lint/context.h"
#include "lint/edit.h"

namespace qcfg::lint {

struct RuleInfo {
  std::string id;    // "QC004"
  std::string name;  // "cfg-enable-ignored" (kebab-case)
  Severity severity = Severity::Warning;
  std::string summary;       // one line
  std::string doc;           // what it checks and why, one paragraph (Markdown)
  std::string bad;           // a YAML example the rule reports
  std::string good;          // the same intent written correctly
  std::string fix;           // how --fix repairs it; empty: no automatic fix
  bool needs_model = false;  // runs only with --model / --inventory
};

struct Finding {
  Diagnostic diag;           // rule_id holds the rule's ID
  SourceLocation entry_loc;  // the entry the finding is about (suppression comments)
  std::optional<Fix> fix;
};

// What a rule reports through: fills in the rule id and severity.
class Reporter {
 public:
  Reporter(const RuleInfo& info, std::vector<Finding>& out) : info_(info), out_(out) {}
  Finding& report(SourceLocation loc, std::string message, SourceLocation entry_loc = {});
  // A finding whose severity differs from the rule's (pipeline diagnostics passed through).
  Finding& report_as(Severity severity, SourceLocation loc, std::string message);

 private:
  const RuleInfo& info_;
  std::vector<Finding>& out_;
};

class Rule {
 public:
  virtual ~Rule() = default;
  virtual const RuleInfo& info() const = 0;
  virtual void check(const LintContext& ctx, Reporter& out) const = 0;
};

// Every rule, ordered by id (lint/rules/all_rules.cpp).
const std::vector<const Rule*>& all_rules();
// By id ("QC004") or name ("cfg-enable-ignored"); null when unknown.
const Rule* find_rule(const std::string& id_or_name);

}  // namespace qcfg::lint
