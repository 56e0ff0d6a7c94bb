// Writing through a symlink (write_file_atomically, and the commands that rewrite files in
// place): the link's final target is rewritten, atomically, and the link stays a link; a
// dangling link is an error and nothing is written. Dotfile repositories and monorepos link
// shared recipes into place; replacing the link with a copy would leave the real file unfixed.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/hardening/scratch.h"
#include "tests/run_command.h"
#include "tools/qcfg/output.h"

namespace fs = std::filesystem;
using qcfg::cli::write_file_atomically;
using qcfg::hardening::ScratchDir;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t entries(const fs::path& dir) {
  return static_cast<size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

qcfg::test::Run qcfg_cli(const std::string& args) {
  return qcfg::test::run_command(std::string(QCFG_EXE) + " " + args + " 2>&1");
}

const char* kLegacy = "quant_cfg:\n  '*weight_quantizer': {num_bits: 8, axis: 0}\n";
const char* kMigrated =
    "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n"
    "    cfg: {num_bits: 8, axis: 0}\n";
const char* kPath = "- quantizer_path: '*weight_quantizer'\n  cfg: {num_bits: 8, axis: 0}\n";

}  // namespace

TEST_CASE("a write through a symlink to another directory rewrites the target, keeps the link") {
  ScratchDir s("symlink-write");
  const std::string real = s.write("shared/recipe.yaml", "old\n");
  fs::create_directories(s.path("repo"));
  const fs::path link = s.path("repo/recipe.yaml");
  fs::create_symlink("../shared/recipe.yaml", link);
  std::string error;
  REQUIRE(write_file_atomically(link.string(), "new\n", &error));
  CHECK(fs::is_symlink(link));
  CHECK(fs::read_symlink(link) == "../shared/recipe.yaml");
  CHECK(read(real) == "new\n");
  CHECK(entries(s.path("repo")) == 1);  // no temporary beside the link
  CHECK(entries(s.path("shared")) == 1);
}

TEST_CASE("a chain of symlinks is followed to the final file") {
  ScratchDir s("symlink-chain");
  const std::string real = s.write("real/recipe.yaml", "old\n");
  fs::create_directories(s.path("a"));
  fs::create_symlink(real, s.path("a/middle.yaml"));
  fs::create_symlink("a/middle.yaml", s.path("first.yaml"));
  std::string error;
  REQUIRE(write_file_atomically(s.path("first.yaml"), "new\n", &error));
  CHECK(fs::is_symlink(s.path("first.yaml")));
  CHECK(fs::is_symlink(s.path("a/middle.yaml")));
  CHECK(read(real) == "new\n");
}

TEST_CASE("a dangling symlink is an error that names it, and nothing is written") {
  ScratchDir s("symlink-dangling");
  const fs::path link = s.path("recipe.yaml");
  fs::create_symlink("gone/recipe.yaml", link);
  std::string error;
  CHECK_FALSE(write_file_atomically(link.string(), "new\n", &error));
  CAPTURE(error);
  CHECK(error.find("dangling symlink") != std::string::npos);
  CHECK(error.find("gone/recipe.yaml") != std::string::npos);
  CHECK(fs::is_symlink(link));
  CHECK(entries(s.path()) == 1);
  CHECK_FALSE(fs::exists(s.path("gone")));
  const qcfg::test::Run r =
      qcfg_cli("lint --format sarif -o " + link.string() + " " +
               s.write("ok.yaml", "- quantizer_name: '*'\n  enable: false\n"));
  CAPTURE(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("dangling symlink") != std::string::npos);
  CHECK(fs::is_symlink(link));
}

TEST_CASE("migrate --in-place and lint --fix through a symlink fix the real file") {
  ScratchDir s("symlink-cli");
  const std::string legacy = s.write("shared/legacy.yaml", kLegacy);
  const std::string path = s.write("shared/path.yaml", kPath);
  fs::create_directories(s.path("repo"));
  fs::create_symlink(legacy, s.path("repo/legacy.yaml"));
  fs::create_symlink(path, s.path("repo/path.yaml"));
  const qcfg::test::Run m = qcfg_cli("migrate --in-place " + s.path("repo/legacy.yaml"));
  CAPTURE(m.out);
  CHECK(m.status == 0);
  CHECK(read(legacy) == kMigrated);
  CHECK(fs::is_symlink(s.path("repo/legacy.yaml")));
  const qcfg::test::Run l = qcfg_cli("lint --fix " + s.path("repo/path.yaml"));
  CAPTURE(l.out);
  CHECK(l.status == 0);
  CHECK(read(path).rfind("- quantizer_name: '*weight_quantizer'\n", 0) == 0);
  CHECK(fs::is_symlink(s.path("repo/path.yaml")));
  CHECK(entries(s.path("repo")) == 2);
  CHECK(entries(s.path("shared")) == 2);
}
