// Shared machinery of every schema validator: the pydantic-like field path (`loc`), the error
// list, and how an error is located (the most specific source node that has a location).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/value.h"

namespace qcfg {

// Rule ids of schema diagnostics.
inline constexpr const char* kRuleSchemaType = "schema-type";
inline constexpr const char* kRuleSchemaExtraKey = "schema-extra-key";
inline constexpr const char* kRuleSchemaValue = "schema-value";
inline constexpr const char* kRuleSchemaMissing = "schema-missing";
inline constexpr const char* kRuleEntryEmptyCfg = "entry-empty-cfg";
inline constexpr const char* kRuleEntryNoEffect = "entry-no-effect";

class ValidationContext {
 public:
  explicit ValidationContext(SourceLocation fallback = {}) { locs_.push_back(fallback); }

  // Enters field `part` (a field name, "[3]" for a list index, a mapping key) whose node is
  // located at `loc`; leaves it when the returned guard dies.
  class Scope {
   public:
    Scope(ValidationContext* ctx, std::string part, SourceLocation loc);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    ValidationContext* ctx_;
  };
  Scope enter(std::string part, SourceLocation loc = {}) {
    return Scope(this, std::move(part), loc);
  }

  // "quant_cfg.cfg.num_bits" (list indices appended without a dot: "candidate_formats[0]").
  std::string loc_text() const;
  // Records an error "<loc>: <text>" at `loc`, or at the innermost known location.
  void error(SourceLocation loc, std::string text, std::string rule,
             std::vector<std::string> notes = {});
  void warning(SourceLocation loc, std::string text, std::string rule);

  size_t error_count() const { return errors_.size(); }
  std::vector<Diagnostic>& errors() { return errors_; }
  std::vector<Diagnostic>& warnings() { return warnings_; }
  void add_errors(std::vector<Diagnostic> more);
  SourceLocation locate(SourceLocation loc) const;

 private:
  std::vector<std::string> path_;
  std::vector<SourceLocation> locs_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

// Extra keys are forbidden: one error per key that is not in `names`, located at the key.
void reject_extra_keys(const Value& mapping, const std::vector<std::string_view>& names,
                       std::string_view model, ValidationContext& ctx);

}  // namespace qcfg
