#include "compiler/input_file.h"

#include <fmt/format.h>

#include <optional>

namespace qcfg {

std::string size_limit_message(uint64_t size, uint64_t max_bytes, std::string_view advice) {
  return fmt::format("file is {} bytes, over the size limit (limit {} bytes; {})", size, max_bytes,
                     advice);
}

namespace {

[[noreturn]] void too_large(SourceLocation at, std::optional<uint64_t> size, size_t max_bytes,
                            std::string_view advice) {
  if (size) throw CompileError(at, size_limit_message(*size, max_bytes, advice), "input-limit");
  throw CompileError(
      at, fmt::format("file is over the size limit (limit {} bytes; {})", max_bytes, advice),
      "input-limit");
}

}  // namespace

const SourceFile* read_input_file(SourceManager& sources, const std::string& path, size_t max_bytes,
                                  std::string_view advice, SourceLocation requested_at) {
  const SourceFile* file = sources.find(path);
  if (file == nullptr) {
    const std::optional<uint64_t> size = sources.provider().size(path);
    if (size && *size > max_bytes) {
      too_large(SourceLocation{sources.name_only(path), 0, 0}, size, max_bytes, advice);
    }
    std::string error;
    file = sources.load(path, &error, max_bytes);
    if (file == nullptr) {
      const SourceLocation at =
          requested_at.known() ? requested_at : SourceLocation{sources.name_only(path), 0, 0};
      throw CompileError(at, "cannot read '" + path + "': " + error, "file-unreadable");
    }
  }
  if (file->text.size() > max_bytes) {
    too_large(SourceLocation{file, 0, 0}, std::nullopt, max_bytes, advice);
  }
  return file;
}

}  // namespace qcfg
