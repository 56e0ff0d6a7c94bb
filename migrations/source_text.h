// Byte-level view of a YAML or JSON file for the migrator. The readers give the start of every
// node (line, column); the migrator needs byte ranges to rewrite a node and leave every other
// byte alone, so this class finds where scalars, flow collections and block nodes end, and where
// comments sit, by scanning the text with YAML's lexical rules.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/source.h"

namespace qcfg::migrations {

inline constexpr size_t kNoOffset = std::string_view::npos;

class SourceText {
 public:
  explicit SourceText(std::string_view text);

  std::string_view text() const { return text_; }
  size_t size() const { return text_.size(); }
  char at(size_t off) const { return off < text_.size() ? text_[off] : '\0'; }

  // Byte offset of a reader location (1-based line and column); kNoOffset when unknown.
  size_t offset(const SourceLocation& loc) const;
  size_t line_begin(size_t off) const;
  // Offset of the line break ending the line of `off` (or the end of the text).
  size_t line_end(size_t off) const;
  // Start of the line after the one holding `off` (the end of the text on the last line).
  size_t next_line(size_t off) const;
  // 0-based column of `off` in its line.
  size_t column(size_t off) const { return off - line_begin(off); }
  // Number of leading spaces of the line holding `off`.
  size_t indentation(size_t off) const;
  // True when the line holding `off` is empty, blank, or only a comment.
  bool is_blank_or_comment_line(size_t off) const;

  // End of the scalar starting at `off` (quoted, or plain up to a `: ` key indicator, a ` #`
  // comment, the end of the line, and in flow context also `,`, `]`, `}`).
  size_t scalar_end(size_t off, bool in_flow) const;
  // End of a flow collection (`{`, `[` at `off`), or of a scalar.
  size_t flow_node_end(size_t off) const;
  // End of a block node starting at `off` that may extend up to `limit`: the end of its last
  // content line (trailing blank and comment-only lines are left out).
  size_t block_end(size_t off, size_t limit) const;
  // Offset just past the `:` that follows a key ending at `key_end` (kNoOffset if none).
  size_t after_colon(size_t key_end) const;
  // The comment (`# ...`, without the line break) that starts in [from, end of line) after
  // optional whitespace; empty when the rest of the line is not a comment.
  std::string_view trailing_comment(size_t from) const;
  // True when a line in [from, to) is empty or blank.
  bool has_blank_line(size_t from, size_t to) const;
  // Own-line comments in [from, to), stripped of their indentation, in order.
  std::vector<std::string_view> comment_lines(size_t from, size_t to) const;
  // End of the YAML document holding `off`: the next line starting with `---` or `...`, else
  // the end of the text.
  size_t document_end(size_t off) const;

 private:
  size_t quoted_end(size_t off) const;
  size_t plain_end(size_t off, bool in_flow) const;

  std::string_view text_;
  std::vector<size_t> line_starts_;
};

}  // namespace qcfg::migrations
