// Diagnostics: the one way any stage reports a problem. A diagnostic always carries a source
// location; rendering (text with caret, JSON, SARIF) is done by the emitters, never by a stage.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/source.h"

namespace qcfg {

enum class Severity { Error, Warning, Info };

const char* severity_name(Severity s);

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLocation loc;
  std::string message;
  std::string rule_id;  // e.g. "yaml-syntax", "schema-extra-key"; never empty
  // Extra lines shown after the caret ("note: ..."), e.g. the import chain.
  std::vector<std::string> notes;
};

// Collects diagnostics in the order they are found.
class Diagnostics {
 public:
  void add(Diagnostic d) { items_.push_back(std::move(d)); }
  void error(SourceLocation loc, std::string message, std::string rule_id);
  void warning(SourceLocation loc, std::string message, std::string rule_id);

  bool has_errors() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  std::vector<Diagnostic>& items() { return items_; }
  void append(const Diagnostics& other);

 private:
  std::vector<Diagnostic> items_;
};

// Thrown by a stage that cannot go on; carries its located diagnostics.
class CompileError : public std::runtime_error {
 public:
  explicit CompileError(std::vector<Diagnostic> diagnostics);
  CompileError(SourceLocation loc, std::string message, std::string rule_id);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// "file:line:col: error: message [rule-id]", then the source line and a caret (GNU/clang style).
std::string render_text(const Diagnostic& d, bool with_excerpt = true);

}  // namespace qcfg
