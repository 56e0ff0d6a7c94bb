#include "lint/suppress.h"

namespace qcfg::lint {
namespace {

constexpr std::string_view kMarker = "qcfg: ignore[";

bool trim_equal(std::string_view item, std::string_view want) {
  while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
  while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
  return !want.empty() && item == want;
}

// The comment of a line: text after a `#` that starts the line or follows whitespace. (A `#`
// inside a quoted scalar is rare in configs; a false match only hides a finding the user named.)
std::string_view comment_of(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return line.substr(i + 1);
    }
  }
  return {};
}

bool line_suppresses(std::string_view line, std::string_view id, std::string_view name) {
  std::string_view c = comment_of(line);
  for (size_t at = c.find(kMarker); at != c.npos; at = c.find(kMarker, at + 1)) {
    std::string_view list = c.substr(at + kMarker.size());
    list = list.substr(0, list.find(']'));
    while (!list.empty()) {
      const size_t comma = list.find(',');
      const std::string_view item = list.substr(0, comma);
      if (trim_equal(item, id) || trim_equal(item, name)) return true;
      if (comma == list.npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  return false;
}

}  // namespace

bool suppressed_at(const SourceFile& file, uint32_t line, std::string_view id,
                   std::string_view name) {
  if (line == 0) return false;
  if (line_suppresses(file.line_text(line), id, name)) return true;
  return line > 1 && line_suppresses(file.line_text(line - 1), id, name);
}

}  // namespace qcfg::lint
