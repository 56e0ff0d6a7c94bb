#include "compiler/unified_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace qcfg {

namespace {

enum class Op { Equal, Delete, Insert };

struct Step {
  Op op;
  size_t line;  // index in `before` (Equal, Delete) or `after` (Insert)
};

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    nl = nl == std::string_view::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl;
  }
  return lines;
}

// Edit script by longest common subsequence, on the lines between the common prefix and suffix
// (a migration changes a few regions of a file; larger middles degrade to replace-all).
std::vector<Step> edit_script(const std::vector<std::string_view>& a,
                              const std::vector<std::string_view>& b) {
  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && a[prefix] == b[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         a[a.size() - 1 - suffix] == b[b.size() - 1 - suffix]) {
    ++suffix;
  }
  const size_t n = a.size() - prefix - suffix;
  const size_t m = b.size() - prefix - suffix;
  std::vector<Step> steps;
  for (size_t i = 0; i < prefix; ++i) steps.push_back({Op::Equal, i});
  constexpr size_t kMaxCells = 16u << 20;
  std::vector<uint32_t> lcs;
  const bool solve = n * m <= kMaxCells;
  if (solve) {
    lcs.assign((n + 1) * (m + 1), 0);
    for (size_t i = n; i-- > 0;) {
      for (size_t j = m; j-- > 0;) {
        lcs[i * (m + 1) + j] = a[prefix + i] == b[prefix + j]
                                   ? lcs[(i + 1) * (m + 1) + j + 1] + 1
                                   : std::max(lcs[(i + 1) * (m + 1) + j], lcs[i * (m + 1) + j + 1]);
      }
    }
  }
  size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (solve && i < n && j < m && a[prefix + i] == b[prefix + j]) {
      steps.push_back({Op::Equal, prefix + i++});
      ++j;
    } else if (i < n &&
               (j == m || !solve || lcs[(i + 1) * (m + 1) + j] >= lcs[i * (m + 1) + j + 1])) {
      steps.push_back({Op::Delete, prefix + i++});
    } else {
      steps.push_back({Op::Insert, prefix + j++});
    }
  }
  for (size_t k = 0; k < suffix; ++k) steps.push_back({Op::Equal, a.size() - suffix + k});
  return steps;
}

void append_line(std::string& out, char mark, std::string_view line) {
  out += mark;
  out += line;
  if (line.empty() || line.back() != '\n') out += "\n\\ No newline at end of file\n";
}

std::string hunk_range(size_t start, size_t count) {
  if (count == 1) return std::to_string(start + 1);
  return fmt::format("{},{}", count == 0 ? start : start + 1, count);
}

}  // namespace

std::string unified_diff(std::string_view before, std::string_view after, const std::string& name,
                         size_t context) {
  if (before == after) return {};
  const auto a = split_lines(before);
  const auto b = split_lines(after);
  const std::vector<Step> steps = edit_script(a, b);
  std::string out = fmt::format("--- a/{}\n+++ b/{}\n", name, name);
  // Positions in a and b before each step.
  std::vector<size_t> pos_a(steps.size() + 1), pos_b(steps.size() + 1);
  for (size_t k = 0; k < steps.size(); ++k) {
    pos_a[k + 1] = pos_a[k] + (steps[k].op != Op::Insert);
    pos_b[k + 1] = pos_b[k] + (steps[k].op != Op::Delete);
  }
  size_t k = 0;
  while (k < steps.size()) {
    if (steps[k].op == Op::Equal) {
      ++k;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is at most 2 * context equal lines away.
    const size_t first = k >= context ? k - context : 0;
    size_t last_change = k;
    for (size_t t = k + 1; t < steps.size() && t - last_change <= 2 * context; ++t) {
      if (steps[t].op != Op::Equal) last_change = t;
    }
    const size_t end = std::min(steps.size(), last_change + 1 + context);
    out += fmt::format("@@ -{} +{} @@\n", hunk_range(pos_a[first], pos_a[end] - pos_a[first]),
                       hunk_range(pos_b[first], pos_b[end] - pos_b[first]));
    for (size_t s = first; s < end; ++s) {
      const Step& st = steps[s];
      if (st.op == Op::Equal) append_line(out, ' ', a[st.line]);
      if (st.op == Op::Delete) append_line(out, '-', a[st.line]);
      if (st.op == Op::Insert) append_line(out, '+', b[st.line]);
    }
    k = end;
  }
  return out;
}

}  // namespace qcfg
