#include "schema/validation_context.h"

#include <fmt/format.h>

#include <utility>

namespace qcfg {

ValidationContext::Scope::Scope(ValidationContext* ctx, std::string part, SourceLocation loc)
    : ctx_(ctx) {
  ctx_->path_.push_back(std::move(part));
  ctx_->locs_.push_back(loc.known() ? loc : ctx_->locs_.back());
}

ValidationContext::Scope::~Scope() {
  ctx_->path_.pop_back();
  ctx_->locs_.pop_back();
}

std::string ValidationContext::loc_text() const {
  std::string out;
  for (const std::string& part : path_) {
    if (part.empty()) continue;
    if (!out.empty() && part.front() != '[') out += '.';
    out += part;
  }
  return out.empty() ? "<root>" : out;
}

SourceLocation ValidationContext::locate(SourceLocation loc) const {
  return loc.known() ? loc : locs_.back();
}

void ValidationContext::error(SourceLocation loc, std::string text, std::string rule,
                              std::vector<std::string> notes) {
  errors_.push_back(Diagnostic{Severity::Error, locate(loc), loc_text() + ": " + text,
                               std::move(rule), std::move(notes)});
}

void ValidationContext::warning(SourceLocation loc, std::string text, std::string rule) {
  warnings_.push_back(
      Diagnostic{Severity::Warning, locate(loc), loc_text() + ": " + text, std::move(rule), {}});
}

void ValidationContext::add_errors(std::vector<Diagnostic> more) {
  for (Diagnostic& d : more) errors_.push_back(std::move(d));
}

void reject_extra_keys(const Value& mapping, const std::vector<std::string_view>& names,
                       std::string_view model, ValidationContext& ctx) {
  std::string accepted;
  for (std::string_view n : names) accepted += (accepted.empty() ? "" : ", ") + std::string(n);
  for (const MapEntry& e : mapping.entries()) {
    bool known = false;
    for (std::string_view n : names) known = known || (e.key.is_string() && e.key.as_string() == n);
    if (known) continue;
    auto scope = ctx.enter(e.key.str(), e.key.loc());
    ctx.error(e.key.loc(),
              fmt::format("unknown key {} (extra keys are not permitted in {}); accepted: {}",
                          e.key.repr(), model, accepted),
              kRuleSchemaExtraKey);
  }
}

}  // namespace qcfg
