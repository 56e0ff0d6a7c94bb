#include "compiler/source.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
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

namespace {

class DiskFiles : public FileProvider {
 public:
  bool is_file(const std::string& path) const override {
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
  }
  bool is_directory(const std::string& path) const override {
    std::error_code ec;
    return std::filesystem::is_directory(path, ec);
  }
  std::optional<std::string> read(const std::string& path, size_t max_bytes,
                                  std::string* error) const override {
    std::error_code ec;
    const std::filesystem::file_status status = std::filesystem::status(path, ec);
    if (ec) {
      // Missing, a component that is not a directory, no permission, a name too long.
      *error = ec.message();
      return std::nullopt;
    }
    if (std::filesystem::is_directory(status)) {
      *error = "is a directory";
      return std::nullopt;
    }
    if (!std::filesystem::is_regular_file(status)) {
      // A FIFO would block and /dev/zero never ends.
      *error = "not a regular file";
      return std::nullopt;
    }
    errno = 0;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      *error = errno != 0 ? std::generic_category().message(errno) : "cannot open file";
      return std::nullopt;
    }
    std::string text;
    char buffer[1 << 16];
    while (text.size() <= max_bytes && in.read(buffer, sizeof buffer).gcount() > 0) {
      text.append(buffer, static_cast<size_t>(in.gcount()));
    }
    if (in.bad()) {
      *error = "read error";
      return std::nullopt;
    }
    if (text.size() > max_bytes + 1) text.resize(max_bytes + 1);
    return text;
  }
  std::optional<uint64_t> size(const std::string& path) const override {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    const uintmax_t n = std::filesystem::file_size(path, ec);
    if (ec) return std::nullopt;
    return static_cast<uint64_t>(n);
  }
};

}  // namespace

const FileProvider& disk_files() {
  static const DiskFiles disk;
  return disk;
}

const SourceFile* SourceManager::find(const std::string& path) const {
  for (const auto& f : files_) {
    if (f->path == path) return f.get();
  }
  return nullptr;
}

const SourceFile* SourceManager::name_only(std::string path) {
  auto file = std::make_unique<SourceFile>();
  file->abspath = path;
  file->path = std::move(path);
  names_.push_back(std::move(file));
  return names_.back().get();
}

const SourceFile* SourceManager::load(const std::string& path, std::string* error,
                                      size_t max_bytes) {
  // One read per path and run: classification peeks at a file before the loader reads it.
  if (const SourceFile* f = find(path)) return f;
  std::optional<std::string> text = files_provider_->read(path, max_bytes, error);
  if (!text) return nullptr;
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::weakly_canonical(path, ec);
  return add(path, ec ? path : abs.string(), std::move(*text));
}

}  // namespace qcfg
