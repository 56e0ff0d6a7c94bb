#include "tools/qcfg/output.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

namespace qcfg::cli {

void print_diagnostics(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.items()) fmt::print(stderr, "{}", render_text(d));
}

bool write_file_atomically(const std::string& path, const std::string& content,
                           std::string* error) {
  return write_file_atomically(
      path, [&](std::ostream& out) { out << content; }, error);
}

namespace {

namespace fs = std::filesystem;

// The file a write to `path` must replace: `path` itself, or for a symlink (a chain included) its
// final target, so that the rename replaces the real file and the link stays a link. False for a
// dangling link: writing would create a file where the link points, which nobody asked for.
bool resolve_write_target(const std::string& path, fs::path* target, std::string* error) {
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(path, ec))) {
    *target = path;
    return true;
  }
  *target = fs::canonical(path, ec);
  if (!ec) return true;
  std::error_code link_ec;
  const std::string points_to = fs::read_symlink(path, link_ec).string();
  *error = fmt::format("'{}' is a dangling symlink (to '{}': {}); nothing written", path, points_to,
                       ec.message());
  return false;
}

// fsync through a fresh descriptor (the stream hides its own): the data must be on disk before
// the rename makes it the file, or a power loss can leave an empty file under the old name.
bool sync_to_disk(const fs::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool write_temp(const fs::path& temp, const std::function<void(std::ostream&)>& write,
                std::string* error) {
  std::ofstream out(temp, std::ios::binary | std::ios::trunc);
  if (!out) {
    *error = "cannot create a temporary file in " + temp.parent_path().string();
    return false;
  }
  write(out);
  out.flush();
  out.close();
  if (!out) {
    *error = "write failed (disk full?)";
    return false;
  }
  if (!sync_to_disk(temp, O_RDONLY)) {
    *error = std::string("cannot flush the file to disk: ") + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           std::string* error) {
  fs::path target;
  if (!resolve_write_target(path, &target, error)) return false;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::random_device rd;
  const fs::path temp = dir / fmt::format(".{}.qcfg-tmp-{:08x}", target.filename().string(), rd());
  std::error_code ec;
  if (!write_temp(temp, write, error)) {
    fs::remove(temp, ec);
    return false;
  }
  // Keep the permissions of the file we replace.
  if (fs::exists(target, ec)) fs::permissions(temp, fs::status(target, ec).permissions(), ec);
  fs::rename(temp, target, ec);
  if (ec) {
    *error = "cannot replace " + target.string() + ": " + ec.message();
    fs::remove(temp, ec);
    return false;
  }
  // The rename itself is durable once the directory is synced. Best effort: some file systems
  // refuse fsync on a directory, and the new file is complete either way.
  sync_to_disk(dir, O_RDONLY | O_DIRECTORY);
  return true;
}

}  // namespace qcfg::cli
