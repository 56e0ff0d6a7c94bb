// LD_PRELOAD shim for the runtime's fault-injection tests: counts the writes a process makes to
// files whose path contains QCFG_IO_MATCH (default ".qcfg-partial-", the staging directory) and
// makes the QCFG_IO_FAIL_AT-th one fail with ENOSPC (a full filesystem at that write), or kills
// the process with SIGKILL at the QCFG_IO_KILL_AT-th one. With QCFG_IO_LOG it appends one line per
// counted write, per fsync and per rename, so a test can check what was flushed before the
// output was renamed into place.
// Both pwrite and pwrite64 are intercepted: without this, pwrite would be renamed pwrite64.
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>

namespace {

std::atomic<long> counted{0};

ssize_t real_write(int fd, const void* buf, size_t n) {
  static ssize_t (*fn)(int, const void*, size_t);
  if (!fn) fn = reinterpret_cast<ssize_t (*)(int, const void*, size_t)>(dlsym(RTLD_NEXT, "write"));
  return fn(fd, buf, n);
}

int fd_path(int fd, char* out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  const ssize_t n = readlink(link, out, size - 1);
  if (n < 0) return 0;
  out[n] = '\0';
  return 1;
}

void log_line(const char* what, const char* a, const char* b) {
  const char* log = getenv("QCFG_IO_LOG");
  if (!log) return;
  char line[8300];
  const int n = snprintf(line, sizeof line, "%s %s%s%s\n", what, a, b ? " " : "", b ? b : "");
  const int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  real_write(fd, line, static_cast<size_t>(n));
  close(fd);
}

// 0: go on; -1: fail this write with ENOSPC.
int before_write(int fd) {
  char path[4096];
  if (!fd_path(fd, path, sizeof path)) return 0;
  const char* match = getenv("QCFG_IO_MATCH");
  if (!strstr(path, match ? match : ".qcfg-partial-")) return 0;
  const long k = counted.fetch_add(1) + 1;
  log_line("write", path, nullptr);
  const char* const kill_at = getenv("QCFG_IO_KILL_AT");
  if (kill_at && atol(kill_at) == k) raise(SIGKILL);
  const char* const fail_at = getenv("QCFG_IO_FAIL_AT");
  if (fail_at && atol(fail_at) <= k) {  // the disk stays full from then on
    errno = ENOSPC;
    return -1;
  }
  return 0;
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t n) {
  if (before_write(fd) < 0) return -1;
  return real_write(fd, buf, n);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t at) {
  static ssize_t (*fn)(int, const void*, size_t, off_t);
  if (!fn)
    fn = reinterpret_cast<ssize_t (*)(int, const void*, size_t, off_t)>(dlsym(RTLD_NEXT, "pwrite"));
  if (before_write(fd) < 0) return -1;
  return fn(fd, buf, n, at);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t at) {
  static ssize_t (*fn)(int, const void*, size_t, off_t);
  if (!fn)
    fn = reinterpret_cast<ssize_t (*)(int, const void*, size_t, off_t)>(
        dlsym(RTLD_NEXT, "pwrite64"));
  if (before_write(fd) < 0) return -1;
  return fn(fd, buf, n, at);
}

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static ssize_t (*fn)(int, const struct iovec*, int);
  if (!fn)
    fn = reinterpret_cast<ssize_t (*)(int, const struct iovec*, int)>(dlsym(RTLD_NEXT, "writev"));
  if (before_write(fd) < 0) return -1;
  return fn(fd, iov, count);
}

int fsync(int fd) {
  static int (*fn)(int);
  if (!fn) fn = reinterpret_cast<int (*)(int)>(dlsym(RTLD_NEXT, "fsync"));
  char path[4096];
  if (fd_path(fd, path, sizeof path)) log_line("fsync", path, nullptr);
  return fn(fd);
}

int rename(const char* from, const char* to) {
  static int (*fn)(const char*, const char*);
  if (!fn) fn = reinterpret_cast<int (*)(const char*, const char*)>(dlsym(RTLD_NEXT, "rename"));
  log_line("rename", from, to);
  return fn(from, to);
}

}  // extern "C"
