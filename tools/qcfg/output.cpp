#include "tools/qcfg/output.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

#include <fmt/format.h>

namespace qcfg::cli {

void print_diagnostics(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.items()) fmt::print(stderr, "{}", render_text(d));
}

bool write_file_atomically(const std::string& path, const std::string& content,
                           std::string* error) {
  return write_file_atomically(path, [&](std::ostream& out) { out << content; }, error);
}

bool write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           std::string* error) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::random_device rd;
  const fs::path temp =
      dir / fmt::format(".{}.qcfg-tmp-{:08x}", target.filename().string(), rd());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      *error = "cannot create a temporary file in " + dir.string();
      return false;
    }
    write(out);
    out.flush();
    if (!out) {
      *error = "write failed (disk full?)";
      out.close();
      std::error_code ec;
      fs::remove(temp, ec);
      return false;
    }
  }
  std::error_code ec;
  // Keep the permissions of the file we replace.
  if (fs::exists(target, ec)) fs::permissions(temp, fs::status(target, ec).permissions(), ec);
  fs::rename(temp, target, ec);
  if (ec) {
    *error = "cannot replace " + path + ": " + ec.message();
    fs::remove(temp, ec);
    return false;
  }
  return true;
}

}  // namespace qcfg::cli
