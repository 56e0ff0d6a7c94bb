// Source files and positions. Every value qcfg reads keeps the place it came from, so that any
// diagnostic, at any stage, can point at file:line:col and show the line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
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

// Where file text comes from. The default reads the disk; a fuzzer (or a test) serves files from
// memory so that import resolution runs without touching the file system.
class FileProvider {
 public:
  virtual ~FileProvider() = default;
  // A regular file that `read` can open (import lookup takes the first candidate that is one).
  virtual bool is_file(const std::string& path) const = 0;
  virtual bool is_directory(const std::string& path) const = 0;
  // The text, or nullopt with `error` set. Reads at most `max_bytes` + 1 bytes, so that a caller
  // can tell that a file is over its limit without holding all of it.
  virtual std::optional<std::string> read(const std::string& path, size_t max_bytes,
                                          std::string* error) const = 0;
  // The size of a regular file when it is known without reading it, so that a file over a
  // limit is refused before any of it is read; nullopt otherwise.
  virtual std::optional<uint64_t> size(const std::string& path) const {
    (void)path;
    return std::nullopt;
  }
};

// The disk (std::filesystem and std::ifstream).
const FileProvider& disk_files();

// Owns the SourceFiles of one run; pointers stay valid as long as the manager lives.
class SourceManager {
 public:
  explicit SourceManager(const FileProvider& files = disk_files()) : files_provider_(&files) {}

  const FileProvider& provider() const { return *files_provider_; }
  // Adds a file whose text is already in memory.
  const SourceFile* add(std::string path, std::string abspath, std::string text);
  // Reads a file through the provider (once per path: later calls return the same SourceFile).
  // Returns null and sets `error` when it cannot be read. The text stops after `max_bytes` + 1
  // bytes (so a size limit of max_bytes still sees that the file is too large).
  const SourceFile* load(const std::string& path, std::string* error,
                         size_t max_bytes = SIZE_MAX - 1);
  // The file `load` or `add` already holds under `path`, or null.
  const SourceFile* find(const std::string& path) const;
  // A file known by its name only (it could not be read): a location in it, line 0, prints as
  // the path alone. `load` and `find` never return it.
  const SourceFile* name_only(std::string path);

 private:
  const FileProvider* files_provider_;
  std::deque<std::unique_ptr<SourceFile>> files_;
  std::deque<std::unique_ptr<SourceFile>> names_;
};

}  // namespace qcfg
