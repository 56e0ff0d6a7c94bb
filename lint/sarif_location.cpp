#include "lint/sarif_location.h"

#include <fmt/format.h>

#include <filesystem>

#include "compiler/document/text_check.h"

namespace qcfg::lint {
namespace {

namespace fs = std::filesystem;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

fs::path absolute_path(const std::string& path) {
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  return (ec ? fs::path(path) : abs).lexically_normal();
}

std::string file_uri(const fs::path& abs) {
  return "file://" + percent_encode(abs.generic_string());
}

}  // namespace

std::string percent_encode(std::string_view path) {
  std::string out;
  for (const char ch : path) {
    const auto c = static_cast<unsigned char>(ch);
    out += unreserved(c) || c == '/' ? std::string(1, ch) : fmt::format("%{:02X}", c);
  }
  return out;
}

std::string base_uri(const std::string& base_dir) {
  std::string uri = file_uri(absolute_path(base_dir));
  if (uri.back() != '/') uri += '/';
  return uri;
}

Value artifact_location(const std::string& path, const std::string& base_dir) {
  const fs::path abs = absolute_path(path);
  const fs::path rel = abs.lexically_relative(absolute_path(base_dir));
  Value v = Value::map();
  if (rel.empty() || *rel.begin() == "..") {
    v.set("uri", Value::string(file_uri(abs)));
    return v;
  }
  v.set("uri", Value::string(percent_encode(rel.generic_string())));
  v.set("uriBaseId", Value::string(kSrcRoot));
  return v;
}

uint32_t utf16_column(std::string_view line, uint32_t byte_column) {
  const size_t bytes = byte_column > 0 ? byte_column - 1 : 0;
  uint32_t units = 0;
  size_t pos = 0;
  while (pos < bytes && pos < line.size()) {
    const int32_t cp = document::decode_utf8(line, &pos);
    if (cp < 0) ++pos;  // not UTF-8 (the readers refuse it): one unit per byte
    units += cp >= 0x10000 ? 2 : 1;
  }
  if (bytes > pos) units += static_cast<uint32_t>(bytes - pos);  // past the line's end
  return units + 1;
}

}  // namespace qcfg::lint
