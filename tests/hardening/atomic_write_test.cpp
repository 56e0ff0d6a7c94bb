// write_file_atomically (tools/qcfg/output.h), the one way qcfg writes a file: the target is
// either the old text or the new one, never a partial write, and no temporary file is left.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tools/qcfg/output.h"

namespace fs = std::filesystem;
using qcfg::cli::write_file_atomically;

namespace {

struct Dir {
  fs::path path = fs::temp_directory_path() / ("qcfg-atomic-" + std::to_string(::getpid()));
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  size_t entries() const {
    return static_cast<size_t>(
        std::distance(fs::directory_iterator(path), fs::directory_iterator()));
  }
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("a write replaces the file and keeps its permissions") {
  Dir d;
  const fs::path target = d.path / "recipe.yaml";
  std::ofstream(target) << "old\n";
  fs::permissions(target, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  std::string error;
  REQUIRE(write_file_atomically(target.string(), "new\n", &error));
  CHECK(read(target) == "new\n");
  CHECK(fs::status(target).permissions() ==
        (fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read));
  CHECK(d.entries() == 1);
}

TEST_CASE("a write that fails midway (file size limit: a full disk) leaves the original intact") {
  Dir d;
  const fs::path target = d.path / "recipe.yaml";
  std::ofstream(target) << "original\n";
  const pid_t pid = fork();
  if (pid == 0) {
    signal(SIGXFSZ, SIG_IGN);  // the write fails with EFBIG instead of killing the process
    const rlimit small{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &small);
    std::string error;
    const bool ok = write_file_atomically(target.string(), std::string(1 << 20, 'x'), &error);
    _exit(ok ? 0 : 3);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 3);  // reported as a failure
  CHECK(read(target) == "original\n");
  CHECK(d.entries() == 1);  // the temporary file was removed
}

TEST_CASE("a target that cannot be replaced is reported, and nothing is left behind") {
  Dir d;
  const fs::path target = d.path / "a_directory";
  fs::create_directories(target / "child");
  std::string error;
  CHECK_FALSE(write_file_atomically(target.string(), "text", &error));
  CHECK_FALSE(error.empty());
  CHECK(fs::is_directory(target / "child"));
  CHECK(d.entries() == 1);
  CHECK_FALSE(write_file_atomically((d.path / "missing" / "x.yaml").string(), "text", &error));
  CHECK(error.find("temporary file") != std::string::npos);
}

TEST_CASE("a process killed while writing leaves the original intact") {
  Dir d;
  const fs::path target = d.path / "recipe.yaml";
  std::ofstream(target) << "original\n";
  const pid_t pid = fork();
  if (pid == 0) {
    // Writes until killed: each write replaces the file with a complete 8 MiB text.
    std::string error;
    for (;;) write_file_atomically(target.string(), std::string(8 << 20, 'y'), &error);
  }
  usleep(50'000);
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  const std::string text = read(target);
  CHECK((text == "original\n" || text == std::string(8 << 20, 'y')));
}
