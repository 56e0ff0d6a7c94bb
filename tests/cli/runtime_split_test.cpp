// The LibTorch line (tools/qcfg/runtime_commands.h): qcfg never links LibTorch, lists apply and
// ptq, and hands them to qcfg-runtime with the command line unchanged.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/cli/qcfg_under_test.h"
#include "tests/run_command.h"

namespace fs = std::filesystem;

namespace qcfg::test {
namespace {

Run shell(const std::string& command) { return run_command(command + " 2>&1"); }

const std::string kQcfg = qcfg_under_test();
const std::string kRuntime = (fs::path(kQcfg).parent_path() / "qcfg-runtime").string();

bool runtime_built() { return fs::exists(kRuntime); }

}  // namespace

TEST_CASE("qcfg does not link LibTorch; qcfg-runtime does") {
  const Run needed = shell("readelf -d " + kQcfg);
  REQUIRE(needed.status == 0);
  CHECK(needed.out.find("(NEEDED)") != std::string::npos);
  CHECK(needed.out.find("libtorch") == std::string::npos);
  CHECK(needed.out.find("libc10") == std::string::npos);
  if (runtime_built()) {
    CHECK(shell("readelf -d " + kRuntime).out.find("libtorch") != std::string::npos);
  }
}

TEST_CASE("qcfg --help lists apply and ptq as run by qcfg-runtime") {
  const Run help = shell(kQcfg + " --help");
  CHECK(help.status == 0);
  for (const std::string name : {"apply", "ptq"}) {
    CAPTURE(name);
    CHECK(help.out.find("  " + name) != std::string::npos);
  }
  CHECK(help.out.find("[qcfg-runtime, LibTorch]") != std::string::npos);
}

TEST_CASE("apply and ptq through qcfg are exactly qcfg-runtime's: help, usage errors, status") {
  if (!runtime_built()) return;
  for (const std::string args : {"apply --help", "ptq --help", "apply --no-such-option x",
                                 "ptq r.yaml --model '' --out o"}) {
    CAPTURE(args);
    const Run direct = shell(kRuntime + " " + args);
    const Run forwarded = shell(kQcfg + " " + args);
    CHECK(forwarded.status == direct.status);
    CHECK(forwarded.out == direct.out);
  }
}

TEST_CASE("without qcfg-runtime, apply says what is missing and what to do, exit 2") {
  const Run r = shell("QCFG_RUNTIME=/nonexistent/qcfg-runtime " + kQcfg + " apply --help");
  CHECK(r.status == 2);
  CHECK(r.out.find("this qcfg has no runtime") != std::string::npos);
  CHECK(r.out.find("/nonexistent/qcfg-runtime") != std::string::npos);
  CHECK(r.out.find("needs LibTorch") != std::string::npos);
}

}  // namespace qcfg::test
