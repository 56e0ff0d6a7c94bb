// An in-memory file system for the fuzz targets: the loader resolves imports through it exactly
// as it does on disk, without the fuzzer touching (or depending on) real files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "compiler/source.h"

namespace qcfg::fuzz {

class MemoryFiles : public FileProvider {
 public:
  // `path` absolute; stored lexically normalized (`a/./b/../c` is `a/c`).
  void add(const std::string& path, std::string text);

  bool is_file(const std::string& path) const override;
  bool is_directory(const std::string& path) const override;
  std::optional<std::string> read(const std::string& path, size_t max_bytes,
                                  std::string* error) const override;

 private:
  std::map<std::string, std::string> files_;
};

// The fixed layout every fuzz input is unpacked into.
inline constexpr const char* kRoot = "/qcfg-fuzz";
inline constexpr const char* kCwd = "/qcfg-fuzz/cases";
inline constexpr const char* kRecipeRoot = "/qcfg-fuzz/modelopt_recipes";
inline constexpr const char* kTopFile = "/qcfg-fuzz/cases/top.yaml";

// Splits a fuzz input into files: the text up to the first NUL byte is the top file (kTopFile);
// every following NUL-separated chunk is `relative/path\ncontent`, stored under kRoot (so
// `modelopt_recipes/configs/x.yaml` is found through the recipe root, `cases/units/y.yaml`
// through the working directory). fuzz/make_seeds.py writes seeds in this shape.
void unpack_bundle(std::string_view input, MemoryFiles& files);

}  // namespace qcfg::fuzz
