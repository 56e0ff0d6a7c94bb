#include <algorithm>

#include "lint/rule.h"

namespace qcfg::lint {
namespace {

// Owned rules, sorted by id on first use (registration order is static-initialization order).
std::vector<std::unique_ptr<Rule>>& storage() {
  static std::vector<std::unique_ptr<Rule>> rules;
  return rules;
}

}  // namespace

void register_rule(std::unique_ptr<Rule> rule) { storage().push_back(std::move(rule)); }

const std::vector<const Rule*>& all_rules() {
  static const std::vector<const Rule*> sorted = [] {
    std::vector<const Rule*> out;
    for (const auto& r : storage()) out.push_back(r.get());
    std::sort(out.begin(), out.end(),
              [](const Rule* a, const Rule* b) { return a->info().id < b->info().id; });
    return out;
  }();
  return sorted;
}

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
