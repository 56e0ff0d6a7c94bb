#include "compiler/document/text_check.h"

#include <fmt/format.h>

#include "compiler/diagnostic.h"

namespace qcfg::document {

SourceLocation location_at(const SourceFile& file, size_t offset) {
  uint32_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset && i < file.text.size(); ++i) {
    if (file.text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return SourceLocation{&file, line, static_cast<uint32_t>(offset - line_start + 1)};
}

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

int32_t decode_utf8(std::string_view text, size_t* pos) {
  const size_t i = *pos;
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    *pos = i + 1;
    return lead;
  }
  size_t length = 0;
  uint32_t cp = 0;
  uint32_t min_cp = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min_cp = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min_cp = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min_cp = 0x10000;
  } else {
    return -1;
  }
  if (i + length > text.size()) return -1;
  for (size_t k = 1; k < length; ++k) {
    if (!is_continuation(byte(k))) return -1;
    cp = (cp << 6) | (byte(k) & 0x3F);
  }
  if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *pos = i + length;
  return static_cast<int32_t>(cp);
}

void append_utf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

void check_size_and_utf8(const SourceFile& file, size_t max_bytes, const std::string& prefix) {
  if (file.text.size() > max_bytes) {
    throw CompileError(SourceLocation{&file, 1, 1},
                       fmt::format("file is {} bytes, more than the limit of {} bytes",
                                   file.text.size(), max_bytes),
                       prefix + "-limit");
  }
  size_t pos = 0;
  while (pos < file.text.size()) {
    if (decode_utf8(file.text, &pos) < 0) {
      throw CompileError(location_at(file, pos),
                         fmt::format("invalid UTF-8 byte 0x{:02x}: save the file as UTF-8",
                                     static_cast<unsigned char>(file.text[pos])),
                         prefix + "-encoding");
    }
  }
}

}  // namespace qcfg::document
