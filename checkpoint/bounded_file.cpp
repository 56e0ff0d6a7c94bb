#include "checkpoint/bounded_file.h"

#include <filesystem>
#include <fstream>

#include "checkpoint/safetensors.h"

namespace qcfg::checkpoint {

std::string read_bounded_file(const std::string& path, uint64_t max_bytes,
                              std::string_view advice) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) throw LocatedError(path, "does not exist");
  if (ec) throw LocatedError(path, "cannot read file: " + ec.message());
  if (!fs::is_regular_file(st)) throw LocatedError(path, "not a regular file");
  const uint64_t size = fs::file_size(path, ec);
  if (ec) throw LocatedError(path, "cannot read file: " + ec.message());
  if (size > max_bytes) throw LocatedError(path, size_limit_message(size, max_bytes, advice));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LocatedError(path, "cannot open file");
  std::string text(static_cast<size_t>(size), '\0');  // one read: no stream copies
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (!in && !in.eof()) throw LocatedError(path, "cannot read file");
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

}  // namespace qcfg::checkpoint
