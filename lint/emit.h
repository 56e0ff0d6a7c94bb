// Output formats of `qcfg lint`: compiler-style text, JSON, and SARIF 2.1.0 (GitHub code
// scanning). One function per format; the linter itself never formats anything.
#pragma once

#include <string>
#include <vector>

#include "lint/linter.h"

namespace qcfg::lint {

// `file:line:col: severity: message [ID]`, the source line and a caret, notes, a fix hint.
std::string render_text_report(const std::vector<FileResult>& files);

// {"findings": [{file, line, column, severity, rule, name, message, notes, fix}], "summary": ...}
std::string render_json_report(const std::vector<FileResult>& files);

// A SARIF 2.1.0 log with one run: tool.driver.rules from the rule metadata, results with
// percent-encoded artifact URIs (relative to %SRCROOT% = `base_dir` inside it, absolute file://
// outside: sarif_location.h), UTF-16 columns and partialFingerprints.
std::string render_sarif_report(const std::vector<FileResult>& files,
                                const std::vector<const Rule*>& rules, const std::string& base_dir);

// The page of one rule (docs/rules/<ID>-<name>.md and `qcfg lint --explain ID`).
std::string render_rule_page(const RuleInfo& rule);

// `qcfg lint --list-rules`: one line per rule.
std::string render_rule_list(const std::vector<const Rule*>& rules);

// The path of a rule's page under docs/rules/.
std::string rule_page_name(const RuleInfo& rule);

}  // namespace qcfg::lint
