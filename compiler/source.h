// Source files and positions. Every value qcfg reads keeps the place it came from, so that any
// diagnostic, at any stage, can point at file:line:col and show the line.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

namespace qcfg {

// One file's text, owned by a SourceManager for the whole run.
struct SourceFile {
  std::string path;     // as the user or the import named it (used in messages)
  std::string abspath;  // canonical absolute path (import cycle key); may equal path
  std::string text;

  // Text of 1-based line `line`, without its line break; empty when out of range.
  std::string_view line_text(uint32_t line) const;
};

// A position in a SourceFile. line/column are 1-based; 0 means "unknown" (e.g. a value that
// qcfg synthesized, such as a default). `file` may be null for synthesized values.
struct SourceLocation {
  const SourceFile* file = nullptr;
  uint32_t line = 0;
  uint32_t column = 0;

  bool known() const { return file != nullptr && line > 0; }
  // "path:line:col" (or just "path", or "<unknown>").
  std::string str() const;
};

// Owns the SourceFiles of one run; pointers stay valid as long as the manager lives.
class SourceManager {
 public:
  // Adds a file whose text is already in memory.
  const SourceFile* add(std::string path, std::string abspath, std::string text);
  // Reads a file from disk (once per path: later calls return the same SourceFile). Returns
  // null and sets `error` when it cannot be read.
  const SourceFile* load(const std::string& path, std::string* error);

 private:
  std::deque<std::unique_ptr<SourceFile>> files_;
};

}  // namespace qcfg
