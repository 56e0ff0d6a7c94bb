#include "lint/fix.h"

#include <algorithm>

namespace qcfg::lint {

size_t offset_of(const SourceFile& file, uint32_t line, uint32_t column) {
  size_t pos = 0;
  for (uint32_t l = 1; l < line && pos < file.text.size(); ++l) {
    const size_t nl = file.text.find('\n', pos);
    pos = nl == std::string::npos ? file.text.size() : nl + 1;
  }
  return std::min(file.text.size(), pos + (column > 0 ? column - 1 : 0));
}

std::map<const SourceFile*, FixedFile> apply_fixes(const std::vector<Finding>& findings) {
  std::map<const SourceFile*, std::vector<const Fix*>> by_file;
  for (const Finding& f : findings) {
    if (f.fix && !f.fix->edits.empty()) by_file[f.fix->edits.front().file].push_back(&*f.fix);
  }
  std::map<const SourceFile*, FixedFile> out;
  for (auto& [file, fixes] : by_file) {
    std::vector<TextEdit> accepted;
    FixedFile& result = out[file];
    for (const Fix* fix : fixes) {
      const bool overlaps = std::any_of(fix->edits.begin(), fix->edits.end(), [&](const auto& e) {
        return std::any_of(accepted.begin(), accepted.end(),
                           [&](const TextEdit& a) { return e.begin < a.end && a.begin < e.end; });
      });
      if (overlaps) {
        ++result.skipped;
        continue;
      }
      accepted.insert(accepted.end(), fix->edits.begin(), fix->edits.end());
      ++result.applied;
    }
    std::sort(accepted.begin(), accepted.end(),
              [](const TextEdit& a, const TextEdit& b) { return a.begin > b.begin; });
    result.text = file->text;
    for (const TextEdit& e : accepted) result.text.replace(e.begin, e.end - e.begin, e.replacement);
  }
  return out;
}

}  // namespace qcfg::lint
