// Paths given to commands: an empty `-o`/`--out` is a usage error that says so (not the text of a
// C++ exception), and a model path that does not exist is reported as not existing.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/cli/qcfg_under_test.h"
#include "tests/run_command.h"

namespace fs = std::filesystem;

namespace qcfg::test {
namespace {

Run qcfg(const std::string& args) { return run_command(qcfg_under_test() + " " + args + " 2>&1"); }

struct Files {
  fs::path dir = fs::temp_directory_path() / ("qcfg-paths-" + std::to_string(::getpid()));
  std::string config = (dir / "c.yaml").string();
  std::string inventory = (dir / "inv.json").string();
  Files() {
    fs::create_directories(dir);
    std::ofstream(config) << "- quantizer_name: '*'\n  enable: false\n";
    std::ofstream(inventory) << "[{\"name\": \"m.weight_quantizer\"}]\n";
  }
  ~Files() { fs::remove_all(dir); }
};

// Commands built into this qcfg (apply and ptq need LibTorch).
bool has_command(const std::string& name) { return qcfg(name + " --help").status == 0; }

void expect_empty_path_refused(const std::string& args, const std::string& option) {
  CAPTURE(args);
  const Run r = qcfg(args);
  CAPTURE(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find(option + " is empty: it needs a path to a file or directory") !=
        std::string::npos);
  CHECK(r.out.find("filesystem error") == std::string::npos);
  CHECK(r.out.find("No such file") == std::string::npos);
}

}  // namespace

TEST_CASE("an empty -o or --out is a usage error that says so") {
  Files f;
  expect_empty_path_refused("lint -o '' " + f.config, "-o");
  expect_empty_path_refused("compile -o '' --inventory " + f.inventory + " " + f.config, "-o");
  expect_empty_path_refused("compile --inventory '' " + f.config, "--inventory");
  expect_empty_path_refused("lint --model '' " + f.config, "--model");
  for (const std::string cmd : {"apply", "ptq"}) {
    if (!has_command(cmd)) continue;
    expect_empty_path_refused(cmd + " --model " + f.dir.string() + " --out '' " + f.config,
                              "--out");
  }
}

TEST_CASE("a model path that does not exist is reported as missing, not as 'not a regular file'") {
  Files f;
  const std::string missing = (f.dir / "no-such-model").string();
  for (const std::string args :
       {"lint --model " + missing + " " + f.config, "compile --model " + missing + " " + f.config,
        "inventory " + missing}) {
    CAPTURE(args);
    const Run r = qcfg(args);
    CAPTURE(r.out);
    CHECK(r.status != 0);
    CHECK(r.out.find(missing + ": error: does not exist") != std::string::npos);
    CHECK(r.out.find("not a regular file") == std::string::npos);
  }
}

}  // namespace qcfg::test
