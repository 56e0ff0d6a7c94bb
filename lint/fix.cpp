#include "lint/fix.h"

#include <fmt/format.h>

#include <algorithm>

namespace qcfg::lint {
namespace {

std::vector<std::string_view> split_lines(const std::string& text) {
  std::vector<std::string_view> lines;
  std::string_view rest(text);
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const size_t len = nl == rest.npos ? rest.size() : nl + 1;
    lines.push_back(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  return lines;
}

// One line of an edit script: ' ' kept, '-' removed from a, '+' added from b.
struct DiffLine {
  char op;
  std::string_view text;
  size_t a_line, b_line;  // 0-based positions before this line
};

// Longest-common-subsequence script on the part between the common prefix and suffix (fixes
// touch a few lines, so that part is small).
std::vector<DiffLine> edit_script(const std::vector<std::string_view>& a,
                                  const std::vector<std::string_view>& b) {
  size_t pre = 0;
  while (pre < a.size() && pre < b.size() && a[pre] == b[pre]) ++pre;
  size_t suf = 0;
  while (suf < a.size() - pre && suf < b.size() - pre &&
         a[a.size() - 1 - suf] == b[b.size() - 1 - suf])
    ++suf;
  const size_t n = a.size() - pre - suf, m = b.size() - pre - suf;
  std::vector<std::vector<uint32_t>> lcs(n + 1, std::vector<uint32_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;)
    for (size_t j = m; j-- > 0;)
      lcs[i][j] =
          a[pre + i] == b[pre + j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::vector<DiffLine> out;
  for (size_t k = 0; k < pre; ++k) out.push_back({' ', a[k], k, k});
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[pre + i] == b[pre + j]) {
      out.push_back({' ', a[pre + i], pre + i, pre + j});
      ++i, ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push_back({'-', a[pre + i], pre + i, pre + j});  // removals first, as diff -u
      ++i;
    } else {
      out.push_back({'+', b[pre + j], pre + i, pre + j});
      ++j;
    }
  }
  for (size_t k = 0; k < suf; ++k)
    out.push_back({' ', a[a.size() - suf + k], a.size() - suf + k, b.size() - suf + k});
  return out;
}

std::string hunk_text(const std::vector<DiffLine>& script, size_t from, size_t to) {
  size_t a_count = 0, b_count = 0;
  std::string body;
  for (size_t k = from; k < to; ++k) {
    const DiffLine& d = script[k];
    if (d.op != '+') ++a_count;
    if (d.op != '-') ++b_count;
    body += d.op;
    body += d.text;
    if (d.text.empty() || d.text.back() != '\n') body += "\n\\ No newline at end of file\n";
  }
  const size_t a_start = script[from].a_line + (a_count ? 1 : 0);
  const size_t b_start = script[from].b_line + (b_count ? 1 : 0);
  return fmt::format("@@ -{},{} +{},{} @@\n", a_start, a_count, b_start, b_count) + body;
}

}  // namespace

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

std::string unified_diff(const std::string& path, const std::string& before,
                         const std::string& after) {
  if (before == after) return {};
  const std::vector<DiffLine> script = edit_script(split_lines(before), split_lines(after));
  constexpr size_t kContext = 3;
  std::string out = fmt::format("--- a/{}\n+++ b/{}\n", path, path);
  size_t k = 0;
  while (k < script.size()) {
    while (k < script.size() && script[k].op == ' ') ++k;
    if (k == script.size()) break;
    const size_t from = k >= kContext ? k - kContext : 0;
    size_t end = k;  // one past the last changed line of this hunk
    for (size_t q = k; q < script.size() && q < end + 2 * kContext + 1; ++q)
      if (script[q].op != ' ') end = q + 1;
    const size_t to = std::min(script.size(), end + kContext);
    out += hunk_text(script, from, to);
    k = to;
  }
  return out;
}

}  // namespace qcfg::lint
