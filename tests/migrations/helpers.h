// Shared helpers of the migration tests: file access and the oracle that says whether two files
// mean the same quant configs (computed here, independently of the migrator's own check).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace qcfg::migrations::testing {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path);
void write_text(const fs::path& path, const std::string& text);

// Every regular file under `dir` (recursively) whose name ends with one of `suffixes`, sorted.
std::vector<fs::path> files_under(const fs::path& dir, const std::vector<std::string>& suffixes);

// The meaning of a file as the pipeline loads it: one line per quantize config and entry
// (name, parent_class, enable, cfg as JSON), plus algorithm and effective_bits. nullopt when
// the file does not load.
std::optional<std::string> meaning_of(const fs::path& path, const std::string& recipe_root,
                                      const std::string& cwd);

// A fresh directory under the system temporary directory, removed on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag);
  ~ScratchDir();
  const fs::path& path() const { return dir_; }

 private:
  fs::path dir_;
};

}  // namespace qcfg::migrations::testing
