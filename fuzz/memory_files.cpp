#include "fuzz/memory_files.h"

#include <filesystem>

namespace qcfg::fuzz {
namespace {

std::string normal(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

}  // namespace

void MemoryFiles::add(const std::string& path, std::string text) {
  files_[normal(path)] = std::move(text);
}

bool MemoryFiles::is_file(const std::string& path) const { return files_.count(normal(path)) > 0; }

bool MemoryFiles::is_directory(const std::string& path) const {
  const std::string dir = normal(path) + "/";
  auto it = files_.lower_bound(dir);
  return it != files_.end() && it->first.compare(0, dir.size(), dir) == 0;
}

std::optional<std::string> MemoryFiles::read(const std::string& path, size_t max_bytes,
                                             std::string* error) const {
  auto it = files_.find(normal(path));
  if (it == files_.end()) {
    *error = is_directory(path) ? "is a directory" : "cannot open file";
    return std::nullopt;
  }
  return it->second.substr(0, max_bytes + 1);
}

void unpack_bundle(std::string_view input, MemoryFiles& files) {
  size_t end = input.find('\0');
  files.add(kTopFile, std::string(input.substr(0, end)));
  while (end != std::string_view::npos) {
    const size_t start = end + 1;
    end = input.find('\0', start);
    std::string_view chunk = input.substr(start, end == std::string_view::npos ? end : end - start);
    const size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos || nl == 0) continue;
    files.add(std::string(kRoot) + "/" + std::string(chunk.substr(0, nl)),
              std::string(chunk.substr(nl + 1)));
  }
}

}  // namespace qcfg::fuzz
