// The lint rule interface and registry. Each rule is one file under lint/rules/ that defines a
// Rule subclass and registers it with QCFG_REGISTER_RULE; its metadata (id, name, severity,
// summary, documentation, examples) drives `qcfg lint --list-rules`, `--explain ID`, SARIF rule
// descriptors and the pages under docs/rules/.
#pragma once

#include <memory>
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

// Every registered rule, ordered by id.
const std::vector<const Rule*>& all_rules();
// By id ("QC004") or name ("cfg-enable-ignored"); null when unknown.
const Rule* find_rule(const std::string& id_or_name);

void register_rule(std::unique_ptr<Rule> rule);

template <typename R>
struct RuleRegistrar {
  RuleRegistrar() { register_rule(std::make_unique<R>()); }
};

}  // namespace qcfg::lint

#define QCFG_RULE_CONCAT2(a, b) a##b
#define QCFG_RULE_CONCAT(a, b) QCFG_RULE_CONCAT2(a, b)
#define QCFG_REGISTER_RULE(Type) \
  static ::qcfg::lint::RuleRegistrar<Type> QCFG_RULE_CONCAT(qcfg_rule_, __LINE__)
