// QC027: a mapping that has the same key twice. ModelOpt's readers (PyYAML, Python json) keep the
// last value silently, so the earlier one is dead text. The readers record the duplicates
// (compiler/document/reader.h); this rule only reports them.
#include <fmt/format.h>

#include <set>
#include <string>

#include "lint/rule.h"

namespace qcfg::lint {
namespace {

class DuplicateKeyRule final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC027",
        "duplicate-key",
        Severity::Warning,
        "a mapping has the same key twice; ModelOpt silently keeps the last value",
        "ModelOpt reads configs with PyYAML and Python's `json`, which accept a mapping with the "
        "same key twice and keep the last value (at the first key's position) without a word. "
        "The earlier value is dead text, usually a copy-paste slip: two `num_bits:` in one "
        "`cfg`, two `quant_cfg:` in one recipe. Keys are compared as the readers compare them "
        "(YAML `1` and `0x1` are the same int key). Keys brought in by a YAML `<<` merge key are "
        "not duplicates: overriding them is what `<<` is for. Imported files are checked too. "
        "Delete the value that is not meant, or merge the two.",
        "quantize:\n  quant_cfg:\n    - quantizer_name: '*weight_quantizer'\n      cfg:\n"
        "        num_bits: 8\n        axis: 0\n        num_bits: 4\n",
        "quantize:\n  quant_cfg:\n    - quantizer_name: '*weight_quantizer'\n      cfg:\n"
        "        num_bits: 4\n        axis: 0\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    std::set<std::string> seen;  // the later key's place: a file read twice is reported once
    auto report = [&](const DuplicateKey& d) {
      if (!d.later.file || !seen.insert(d.later.str()).second) return;
      Finding& f = out.report(
          d.later,
          fmt::format("key '{}' appears twice in this mapping; the value at {}:{} is ignored "
                      "(ModelOpt keeps the last)",
                      d.key, d.earlier.line, d.earlier.column),
          d.later);
      f.diag.notes.push_back(fmt::format("the earlier '{}' is at {}", d.key, d.earlier.str()));
    };
    for (const DuplicateKey& d : ctx.duplicate_keys) report(d);
    // Imported files, read by the loader (this file's own duplicates are the same records).
    if (ctx.loaded) {
      for (const DuplicateKey& d : ctx.loaded->duplicate_keys) report(d);
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc027_rule() {
  static const DuplicateKeyRule rule;
  return rule;
}

}  // namespace qcfg::lint
