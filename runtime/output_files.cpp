#include "runtime/output_files.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include "checkpoint/safetensors.h"
#include "runtime/apply.h"
#include "runtime/checkpoint.h"

namespace qcfg::runtime {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOwnerFile = ".qcfg-staging-owner";
constexpr int kMaxCopyDepth = 16;  // symlinked directories could otherwise loop forever

[[noreturn]] void fail_errno(const std::string& path, const std::string& what) {
  throw ApplyError(path + ": " + what + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_errno(path, "cannot write");
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void fsync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno(path, "cannot open to flush");
  const bool ok = ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  errno = saved;
  if (!ok) fail_errno(path, "cannot flush to disk");
}

// Every directory of the staging tree, deepest first, so a directory is flushed after its
// entries were created (the files flushed themselves when they were written).
void fsync_tree(const fs::path& root) {
  std::vector<std::string> dirs{root.string()};
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(root))
    if (e.is_directory() && !e.is_symlink()) dirs.push_back(e.path().string());
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) fsync_path(*it, O_DIRECTORY);
}

// What identifies this process on this machine across PID reuse: host, boot and start time.
struct Owner {
  std::string host, boot;
  long pid = 0;
  std::string start;
  bool operator==(const Owner&) const = default;
};

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// Field 22 of /proc/PID/stat (after the parenthesised command name, which may hold spaces).
std::string start_time(long pid) {
  const std::string stat = first_line("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return "";
  std::istringstream fields(stat.substr(close + 1));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i) {
  }
  return f;
}

Owner this_process() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const long pid = ::getpid();
  return {host, first_line("/proc/sys/kernel/random/boot_id"), pid, start_time(pid)};
}

std::string owner_text(const Owner& o) {
  return "host " + o.host + "\nboot " + o.boot + "\npid " + std::to_string(o.pid) + "\nstart " +
         o.start + "\n";
}

std::optional<Owner> read_owner(const fs::path& dir) {
  std::ifstream in(dir / kOwnerFile);
  if (!in) return std::nullopt;
  Owner o;
  std::string key, value;
  while (in >> key && std::getline(in >> std::ws, value)) {
    if (key == "host") o.host = value;
    if (key == "boot") o.boot = value;
    if (key == "pid") o.pid = std::atol(value.c_str());
    if (key == "start") o.start = value;
  }
  if (o.pid <= 0) return std::nullopt;
  return o;
}

// A staging directory is stale when its owner was a process of this machine that is gone: the
// machine rebooted since, or no process runs under that PID with that start time.
bool owner_gone(const Owner& o, const Owner& self) {
  if (o.host != self.host) return false;  // another machine sharing the filesystem: unknown
  if (o.boot != self.boot) return true;
  if (::kill(static_cast<pid_t>(o.pid), 0) != 0 && errno == ESRCH) return true;
  const std::string now = start_time(o.pid);
  return !now.empty() && now != o.start;
}

uint64_t tree_bytes(const fs::path& dir) {
  uint64_t sum = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file(ec)) sum += it->file_size(ec);
  return sum;
}

std::string staging_prefix(const std::string& target_filename) {
  return "." + target_filename + ".qcfg-partial-";
}

void copy_file_content(const fs::path& from, const fs::path& to, bool durable) {
  const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) fail_errno(from.string(), "cannot open to copy");
  const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0) {
    ::close(in);
    fail_errno(to.string(), "cannot create");
  }
  std::string buffer(1 << 20, '\0');
  try {
    for (;;) {
      const ssize_t n = ::read(in, buffer.data(), buffer.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail_errno(from.string(), "cannot read");
      if (n == 0) break;
      write_all(out, to.string(), std::string_view(buffer.data(), static_cast<size_t>(n)));
    }
    if (durable && ::fsync(out) != 0) fail_errno(to.string(), "cannot flush to disk");
  } catch (...) {
    ::close(in);
    ::close(out);
    throw;
  }
  ::close(in);
  if (::close(out) != 0) fail_errno(to.string(), "cannot close");
}

// `rel` is the entry's path relative to the checkpoint directory; `skip` holds the outputs
// already written (shards may sit in subdirectories, which then exist already).
void copy_entry(const fs::path& from, const fs::path& rel, const StagingDir& to,
                const std::set<std::string>& skip, int depth) {
  if (skip.count(rel.generic_string())) return;
  std::error_code ec;
  const fs::file_status st = fs::status(from, ec);  // follows symlinks: they are read through
  if (fs::is_regular_file(st)) return copy_file_content(from, to.file(rel.string()), to.durable());
  if (fs::is_directory(st)) {
    if (depth >= kMaxCopyDepth)
      throw ApplyError(from.string() + ": directories nested over " +
                       std::to_string(kMaxCopyDepth) + " levels (a symlink loop?); remove it");
    const fs::path dir = fs::path(to.path()) / rel;
    fs::create_directory(dir, ec);
    if (ec) throw ApplyError(dir.string() + ": cannot create: " + ec.message());
    for (const fs::directory_entry& e : fs::directory_iterator(from))
      copy_entry(e.path(), rel / e.path().filename(), to, skip, depth + 1);
    return;
  }
  std::cerr << "qcfg: note: " << from.string()
            << (fs::exists(st) ? ": not a regular file or directory, not copied\n"
                               : ": dangling symlink, not copied\n");
}

// Killed between creating the directory and finishing its marker: nothing in it but (part of)
// the marker, and no process of that PID. Removing an empty directory cannot lose anything.
bool killed_while_starting(const fs::path& dir, const std::string& pid_text) {
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec))
    if (it->path().filename() != kOwnerFile) return false;
  char* end = nullptr;
  const long pid = std::strtol(pid_text.c_str(), &end, 10);
  if (pid <= 0 || *end != '\0') return false;
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

void remove_stale(const fs::path& dir, const std::string& what) {
  const uint64_t bytes = tree_bytes(dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) {
    std::cerr << "qcfg: warning: cannot remove " << dir.string() << ", " << what << ": "
              << ec.message() << "\n";
    return;
  }
  std::cerr << "qcfg: removed " << dir.string() << " (" << bytes << " bytes), " << what << "\n";
}

}  // namespace

std::string staging_name(const std::string& target_filename, long pid) {
  return staging_prefix(target_filename) + std::to_string(pid);
}

int remove_stale_staging(const std::string& target) {
  const fs::path t = fs::absolute(target);
  const std::string prefix = staging_prefix(t.filename().string());
  const Owner self = this_process();
  std::vector<fs::path> candidates;  // collected first: entries are removed below
  std::error_code ec;
  for (auto it = fs::directory_iterator(t.parent_path(), ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0 && !it->is_symlink() && it->is_directory())
      candidates.push_back(it->path());
  }
  int removed = 0;
  for (const fs::path& dir : candidates) {
    const std::optional<Owner> owner = read_owner(dir);
    if (!owner && killed_while_starting(dir, dir.filename().string().substr(prefix.size()))) {
      remove_stale(dir, "the empty partial output of a run killed as it started");
      ++removed;
      continue;
    }
    if (!owner) {
      std::cerr << "qcfg: note: " << dir.string()
                << " looks like the partial output of an interrupted earlier qcfg run; if no "
                   "qcfg run is writing it, remove it: rm -rf '"
                << dir.string() << "'\n";
      continue;
    }
    if (*owner == self || !owner_gone(*owner, self)) continue;
    remove_stale(dir, "the partial output of an interrupted run (process " +
                          std::to_string(owner->pid) + ", no longer running)");
    ++removed;
  }
  return removed;
}

StagingDir::StagingDir(const std::string& target, bool durable)
    : target_(target), durable_(durable) {
  remove_stale_staging(target);
  const fs::path t = fs::absolute(target);
  path_ = (t.parent_path() / staging_name(t.filename().string(), ::getpid())).string();
  std::error_code ec;
  fs::remove_all(path_, ec);  // only ever this process's own name
  if (!fs::create_directory(path_, ec) || ec)
    throw ApplyError(path_ + ": cannot create the temporary output directory: " + ec.message());
  try {
    write_new_file(file(kOwnerFile), owner_text(this_process()), false);
  } catch (...) {  // a throwing constructor runs no destructor: clean up here
    fs::remove_all(path_, ec);
    throw;
  }
}

StagingDir::~StagingDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string StagingDir::file(const std::string& name) const {
  if (!checkpoint::plain_relative_path(name))
    throw ApplyError(name +
                     ": not a file name inside the output directory (absolute or `..`); "
                     "nothing is written outside --out");
  const fs::path p = fs::path(path_) / name;
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) throw ApplyError(p.parent_path().string() + ": cannot create: " + ec.message());
  return p.string();
}

void StagingDir::write_file(const std::string& name, std::string_view bytes) const {
  write_new_file(file(name), bytes, durable_);
}

void StagingDir::write_json(const std::string& name, const nlohmann::ordered_json& j) const {
  write_file(name, j.dump(2) + "\n");
}

void StagingDir::commit() {
  std::error_code ec;
  fs::remove(fs::path(path_) / kOwnerFile, ec);
  if (durable_) fsync_tree(path_);
  fs::rename(path_, target_, ec);
  if (ec)
    throw ApplyError(target_ + ": cannot move the finished output into place: " + ec.message());
  committed_ = true;
  if (durable_) fsync_path(fs::absolute(target_).parent_path().string(), O_DIRECTORY);
}

void check_output_path(const std::string& model_dir, const std::string& out) {
  if (out.empty()) throw ApplyError("--out is empty: name the output directory to create");
  std::error_code ec;
  const fs::path in = fs::weakly_canonical(fs::absolute(model_dir), ec);
  const fs::path o = fs::weakly_canonical(fs::absolute(out), ec);
  const std::string in_s = in.string() + "/";
  if (o == in || (o.string() + "/").rfind(in_s, 0) == 0)
    throw ApplyError(out + ": the output must not be the input checkpoint or inside it");
  const fs::file_status own = fs::symlink_status(out, ec);
  if (fs::is_symlink(own))
    throw ApplyError(out + ": is a symlink" +
                     (fs::exists(fs::status(out, ec)) ? "" : " to nothing (dangling)") +
                     "; the output must be a new directory: remove it or choose another --out");
  if (fs::exists(own))
    throw ApplyError(out + ": already exists; remove it or choose another --out");
  const fs::path parent = o.parent_path();
  if (!fs::is_directory(parent, ec))
    throw ApplyError(out + ": parent directory " + parent.string() + " does not exist");
  if (::access(parent.c_str(), W_OK) != 0)
    throw ApplyError(out + ": parent directory " + parent.string() +
                     " is not writable: " + std::strerror(errno));
}

void copy_other_files(const std::string& from, const StagingDir& to,
                      const std::set<std::string>& skip) {
  std::set<std::string> normal;  // "./a" and "a" name the same shard
  for (const std::string& s : skip) normal.insert(fs::path(s).lexically_normal().generic_string());
  for (const fs::directory_entry& e : fs::directory_iterator(from))
    copy_entry(e.path(), e.path().filename(), to, normal, 0);
}

void write_new_file(const std::string& path, std::string_view bytes, bool durable) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) fail_errno(path, "cannot create");
  try {
    write_all(fd, path, bytes);
    if (durable && ::fsync(fd) != 0) fail_errno(path, "cannot flush to disk");
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0) fail_errno(path, "cannot close");
}

nlohmann::ordered_json read_json_file(const std::string& path) {
  try {
    return read_small_json_file(path);
  } catch (const CheckpointError& e) {
    throw ApplyError(e.what());
  }
}

nlohmann::ordered_json shard_index_json(const std::map<std::string, std::string>& map,
                                        uint64_t total_size) {
  nlohmann::ordered_json j;
  j["metadata"] = {{"total_size", total_size}};
  j["weight_map"] = nlohmann::ordered_json::object();
  for (const auto& [tensor, shard] : map) j["weight_map"][tensor] = shard;
  return j;
}

}  // namespace qcfg::runtime
