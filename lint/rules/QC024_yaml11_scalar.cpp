// QC024: plain YAML scalars whose YAML 1.1 reading (what PyYAML and ModelOpt use) differs from
// what most people, and YAML 1.2 tools, expect.
#include <fmt/format.h>

#include <cctype>
#include <regex>

#include "lint/fix.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

// The text of the plain scalar starting at `loc` (flow or block context).
std::string token_at(const SourceLocation& loc) {
  const std::string& text = loc.file->text;
  const size_t begin = offset_of(*loc.file, loc.line, loc.column);
  size_t end = begin;
  while (end < text.size()) {
    const char c = text[end];
    if (c == '\n' || c == ',' || c == ']' || c == '}' || c == '\r') break;
    if ((c == '#' || c == ':') && end + 1 <= text.size() &&
        (end + 1 == text.size() || text[end + 1] == ' ' || text[end + 1] == '\n' ||
         (c == '#' && end > begin && text[end - 1] == ' ')))
      break;
    ++end;
  }
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

bool is_plain(const std::string& token) {
  return !token.empty() && token[0] != '"' && token[0] != '\'' && token[0] != '|' &&
         token[0] != '>' && token[0] != '!' && token[0] != '&' && token[0] != '*';
}

// What a reader expecting YAML 1.2 would misread, or "" when nothing.
std::string surprise(const Value& v, const std::string& token) {
  static const std::regex octal(R"([-+]?0[0-7_]+)");
  static const std::regex sexagesimal(R"([-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)");
  static const std::regex exponent_string(R"([-+]?([0-9][0-9_]*)?\.?[0-9_]*[eE][-+]?[0-9]+)");
  static const std::regex signed_dot(R"([-+]\.[0-9]+)");
  if (v.is_bool()) {
    const std::string t = token;
    if (t != "true" && t != "false" && t != "True" && t != "False" && t != "TRUE" && t != "FALSE")
      return fmt::format("`{}` is read as the boolean {} (YAML 1.1); write `{}`", token,
                         v.as_bool() ? "true" : "false", v.as_bool() ? "true" : "false");
  }
  if ((v.is_int() || v.is_float()) && std::regex_match(token, sexagesimal))
    return fmt::format("`{}` is a base-60 number in YAML 1.1 ({}); quote it if it is text", token,
                       v.str());
  if (v.is_int() && token.size() > 1 && std::regex_match(token, octal))
    return fmt::format("`{}` is an octal integer in YAML 1.1 ({}); write `{}`", token, v.str(),
                       v.str());
  const bool numeric_start = std::isdigit(static_cast<unsigned char>(token[0])) ||
                             token[0] == '-' || token[0] == '+' || token[0] == '.';
  if (v.is_string() && numeric_start &&
      (std::regex_match(token, exponent_string) || std::regex_match(token, signed_dot)))
    return fmt::format(
        "`{}` is read as a string (YAML 1.1 floats need a dot and a signed "
        "exponent, e.g. `1.0e-5`)",
        token);
  return "";
}

class Yaml11Scalar final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC024",
        "yaml11-scalar",
        Severity::Warning,
        "a plain YAML scalar means something else under YAML 1.1, which ModelOpt reads",
        "ModelOpt reads YAML with PyYAML, i.e. YAML 1.1 typing: `yes`/`no`/`on`/`off` are "
        "booleans, `010` is the octal 8, `1:30` is the base-60 number 90, and a float needs a "
        "dot and a signed exponent, so `1e-5`, `1e3` and `-.5` are strings. Editors, JSON "
        "Schema tools and YAML 1.2 libraries read these differently. Write the unambiguous "
        "form (`true`, `8`, `1.0e-5`), or quote what is meant as text.",
        "quantize:\n  algorithm:\n    method: mse\n    step_size: 1e-2\n  quant_cfg:\n    - "
        "quantizer_name: '*lm_head*'\n      enable: no\n",
        "quantize:\n  algorithm:\n    method: mse\n    step_size: 1.0e-2\n  quant_cfg:\n    - "
        "quantizer_name: '*lm_head*'\n      enable: false\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    if (ctx.is_json) return;
    for (const Value& doc : ctx.documents) visit(doc, ctx, out);
  }

 private:
  static void visit(const Value& v, const LintContext& ctx, Reporter& out) {
    if (v.is_list()) {
      for (const Value& item : v.items()) visit(item, ctx, out);
    } else if (v.is_map()) {
      for (const MapEntry& kv : v.entries()) {
        visit(kv.key, ctx, out);
        visit(kv.value, ctx, out);
      }
    } else if (ctx.in_this_file(v.loc())) {
      const std::string token = token_at(v.loc());
      if (!is_plain(token)) return;
      if (std::string why = surprise(v, token); !why.empty()) out.report(v.loc(), why);
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc024_rule() {
  static const Yaml11Scalar rule;
  return rule;
}

}  // namespace qcfg::lint
