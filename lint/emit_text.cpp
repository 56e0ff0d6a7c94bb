#include <fmt/format.h>

#include "lint/emit.h"

namespace qcfg::lint {

std::string render_text_report(const std::vector<FileResult>& files) {
  std::string out;
  size_t count = 0, fixable = 0;
  for (const FileResult& f : files) {
    for (const Finding& finding : f.findings) {
      out += render_text(finding.diag);
      if (finding.fix) {
        out += fmt::format("  fix: {} (apply with --fix)\n", finding.fix->description);
        ++fixable;
      }
      ++count;
    }
  }
  if (count > 0) {
    out += fmt::format("{} finding(s) in {} file(s){}\n", count, files.size(),
                       fixable ? fmt::format(", {} fixable with --fix", fixable) : "");
  }
  return out;
}

std::string render_rule_list(const std::vector<const Rule*>& rules) {
  std::string out;
  for (const Rule* r : rules) {
    const RuleInfo& i = r->info();
    out += fmt::format("{}  {:<7}  {:<34} {}{}{}\n", i.id, severity_name(i.severity), i.name,
                       i.summary, i.fix.empty() ? "" : " [fixable]",
                       i.needs_model ? " [needs --model]" : "");
  }
  return out;
}

std::string rule_page_name(const RuleInfo& rule) { return rule.id + "-" + rule.name + ".md"; }

std::string render_rule_page(const RuleInfo& rule) {
  std::string out = fmt::format("# {} {}\n\n", rule.id, rule.name);
  out += fmt::format("**Severity:** {} · **Fix:** {} · **Needs a model:** {}\n\n",
                     severity_name(rule.severity), rule.fix.empty() ? "none" : "yes (`--fix`)",
                     rule.needs_model ? "yes (`--model DIR` or `--inventory INV.json`)" : "no");
  out += fmt::format("{}\n\n## What it checks, and why\n\n{}\n\n", rule.summary, rule.doc);
  out +=
      fmt::format("## Bad\n\n```yaml\n{}```\n\n## Good\n\n```yaml\n{}```\n", rule.bad, rule.good);
  if (!rule.fix.empty()) out += fmt::format("\n## Fix\n\n{}\n", rule.fix);
  out += fmt::format(
      "\nSuppress one finding with `# qcfg: ignore[{}]` on its line or the line before the "
      "entry; turn the rule off with `--ignore {}`.\n",
      rule.id, rule.id);
  return out;
}

}  // namespace qcfg::lint
