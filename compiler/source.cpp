#include "compiler/source.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace qcfg {

std::string_view SourceFile::line_text(uint32_t line) const {
  if (line == 0) return {};
  size_t start = 0;
  for (uint32_t current = 1; current < line; ++current) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  if (end == std::string::npos) end = text.size();
  if (end > start && text[end - 1] == '\r') --end;
  return std::string_view(text).substr(start, end - start);
}

std::string SourceLocation::str() const {
  if (file == nullptr) return "<unknown>";
  if (line == 0) return file->path;
  return file->path + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const SourceFile* SourceManager::add(std::string path, std::string abspath, std::string text) {
  auto file = std::make_unique<SourceFile>();
  file->path = std::move(path);
  file->abspath = std::move(abspath);
  file->text = std::move(text);
  files_.push_back(std::move(file));
  return files_.back().get();
}

const SourceFile* SourceManager::load(const std::string& path, std::string* error) {
  // One read per path and run: classification peeks at a file before the loader reads it.
  for (const auto& f : files_) {
    if (f->path == path) return f.get();
  }
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    *error = "is a directory";
    return nullptr;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open file";
    return nullptr;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    *error = "read error";
    return nullptr;
  }
  std::filesystem::path abs = std::filesystem::weakly_canonical(path, ec);
  return add(path, ec ? path : abs.string(), buffer.str());
}

}  // namespace qcfg
