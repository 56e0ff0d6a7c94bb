#include "compiler/diagnostic.h"

#include <fmt/format.h>

namespace qcfg {

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error:
      return "error";
    case Severity::Warning:
      return "warning";
    case Severity::Info:
      return "info";
  }
  return "error";
}

void Diagnostics::error(SourceLocation loc, std::string message, std::string rule_id) {
  add(Diagnostic{Severity::Error, loc, std::move(message), std::move(rule_id), {}});
}

void Diagnostics::warning(SourceLocation loc, std::string message, std::string rule_id) {
  add(Diagnostic{Severity::Warning, loc, std::move(message), std::move(rule_id), {}});
}

bool Diagnostics::has_errors() const {
  for (const Diagnostic& d : items_) {
    if (d.severity == Severity::Error) return true;
  }
  return false;
}

void Diagnostics::append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

namespace {
std::string first_message(const std::vector<Diagnostic>& ds) {
  return ds.empty() ? std::string("error") : render_text(ds.front(), false);
}
}  // namespace

CompileError::CompileError(std::vector<Diagnostic> diagnostics)
    : std::runtime_error(first_message(diagnostics)), diagnostics_(std::move(diagnostics)) {}

CompileError::CompileError(SourceLocation loc, std::string message, std::string rule_id)
    : CompileError(std::vector<Diagnostic>{
          Diagnostic{Severity::Error, loc, std::move(message), std::move(rule_id), {}}}) {}

std::string render_text(const Diagnostic& d, bool with_excerpt) {
  std::string out = fmt::format("{}: {}: {} [{}]\n", d.loc.str(), severity_name(d.severity),
                                d.message, d.rule_id);
  if (with_excerpt && d.loc.known()) {
    std::string_view line = d.loc.file->line_text(d.loc.line);
    if (!line.empty()) {
      // Keep tabs in the caret line so the caret lines up under the source character.
      std::string pad;
      for (uint32_t i = 1; i < d.loc.column && i - 1 < line.size(); ++i) {
        pad += line[i - 1] == '\t' ? '\t' : ' ';
      }
      out += fmt::format("  {}\n  {}^\n", line, pad);
    }
  }
  for (const std::string& note : d.notes) out += fmt::format("  note: {}\n", note);
  return out;
}

}  // namespace qcfg
