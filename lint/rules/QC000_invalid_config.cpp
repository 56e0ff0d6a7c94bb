// QC000: what ModelOpt itself rejects (read, import, validation and apply-time errors), passed
// through from the pipeline and the resolver so that `qcfg lint` alone is enough in pre-commit.
#include "compiler/normalize/normalize.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

class InvalidConfig final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC000",
        "invalid-config",
        Severity::Error,
        "ModelOpt rejects this file (syntax, imports, validation, or an entry it fails to apply)",
        "The file goes through the same pipeline as `qcfg check`: YAML/JSON reading with "
        "PyYAML's rules, import resolution, normalization and validation exactly as ModelOpt "
        "performs them, and with a model, resolution (an unknown `parent_class` or a calibrator "
        "that cannot be constructed fails only when ModelOpt applies the entry). Every problem "
        "is reported with its location; pipeline warnings (e.g. a sequential cfg whose length "
        "differs from the existing sequential quantizer) keep their warning severity. The "
        "legacy-format deprecation warning and the `quantizer_path` error are left to QC001 "
        "and QC002, which say more and can fix them.",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0, "
        "block_sizes: {-1: 128}}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 4, "
        "block_sizes: {-1: 128}}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const Diagnostic& d : ctx.load_diagnostics) {
      if (d.rule_id == kRuleLegacyFormat || d.rule_id == kRuleQuantizerPath) continue;
      pass_through(d, ctx, out);
    }
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution) continue;
      for (const Diagnostic& d : c.resolution->diagnostics.items()) pass_through(d, ctx, out);
    }
  }

 private:
  static void pass_through(const Diagnostic& d, const LintContext& ctx, Reporter& out) {
    // A problem with no place in the text (e.g. an unreadable file) is located at the file.
    const SourceLocation at = d.loc.known() ? d.loc : SourceLocation{ctx.file, 1, 1};
    Finding& f = out.report_as(d.severity, at, d.message);
    f.diag.notes = d.notes;
    f.diag.notes.push_back("check: " + d.rule_id);
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc000_rule() {
  static const InvalidConfig rule;
  return rule;
}

}  // namespace qcfg::lint
