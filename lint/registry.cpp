#include "lint/rule.h"

namespace qcfg::lint {

const Rule* find_rule(const std::string& id_or_name) {
  for (const Rule* r : all_rules()) {
    if (r->info().id == id_or_name || r->info().name == id_or_name) return r;
  }
  return nullptr;
}

Finding& Reporter::report(SourceLocation loc, std::string message, SourceLocation entry_loc) {
  Finding& f = report_as(info_.severity, loc, std::move(message));
  f.entry_loc = entry_loc;
  return f;
}

Finding& Reporter::report_as(Severity severity, SourceLocation loc, std::string message) {
  Finding f;
  f.diag = Diagnostic{severity, loc, std::move(message), info_.id, {}};
  out_.push_back(std::move(f));
  return out_.back();
}

}  // namespace qcfg::lint
