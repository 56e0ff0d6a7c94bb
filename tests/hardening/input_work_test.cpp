// Inputs under the size limits must also be cheap to read (issue 16, item 7): a long scalar is
// read in linear time with a small constant, and an import diamond costs one load per file.
// The bounds are generous for a 2-core CI machine, yet well below what the old code needed
// (docs/reliability.md, "Work per input", has the measured figures).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/hardening/run_bounded.h"
#include "tests/hardening/scratch.h"

using qcfg::hardening::Bounds;
using qcfg::hardening::Outcome;
using qcfg::hardening::run_bounded;
using Scratch = qcfg::hardening::ScratchDir;

namespace {

const std::string kListSchema =
    "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgListConfig\n";
const std::string kAttributeSchema =
    "# modelopt-schema: modelopt.torch.quantization.config.QuantizerAttributeConfig\n";

// The memory bound is address space, and a LibTorch-linked qcfg maps about 700 MiB before it
// reads anything (run_bounded.h): the bounds below are what the input may cost on top of that.
constexpr long kStartupMb = 1024;

Outcome check(const std::string& file, const std::string& cwd, Bounds bounds) {
  bounds.memory_mb += kStartupMb;
  return run_bounded({QCFG_EXE, "check", file}, cwd, bounds);
}

void expect_fast(const Outcome& r, int exit_code) {
  CAPTURE(r.output.substr(0, 2000));
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == exit_code);
}

// 30 files, file k importing file k+1 under two names (a 2 KB tree).
void write_diamond(const Scratch& s, const std::string& dir, bool splice) {
  const int levels = 30;
  for (int i = 0; i < levels; ++i) {
    const std::string next = "d" + std::to_string(i + 1);
    const std::string imports = "imports:\n  a: " + next + "\n  b: " + next + "\n";
    s.write(dir + "/d" + std::to_string(i) + ".yaml",
            splice ? kListSchema + imports + "---\n- $import: a\n- $import: b\n"
                   : kAttributeSchema + imports + "$import: [a, b]\n");
  }
  s.write(dir + "/d" + std::to_string(levels) + ".yaml",
          splice ? kListSchema + "- {quantizer_name: '*', enable: false}\n"
                 : kAttributeSchema + "num_bits: 4\n");
}

}  // namespace

TEST_CASE("a 40 MB single-line scalar is read in linear time with a small constant") {
  Scratch s("long-scalar");
  const std::string run(40u << 20, 'x');
  const Bounds bounds{3, 60, 512};  // the old reader: 5.4 s of CPU, 330 MB
  expect_fast(check(s.write("plain.yaml", "quant_cfg: []\nalgorithm: " + run + "\n"), "", bounds),
              0);
  expect_fast(
      check(s.write("quoted.yaml", "quant_cfg: []\nalgorithm: \"" + run + "\"\n"), "", bounds), 0);
  // An error after the scalar is still located at its column in the file.
  const Outcome r =
      check(s.write("after.yaml", "{algorithm: " + run + ", quant_cfg: 5}\n"), "", bounds);
  expect_fast(r, 1);
  CHECK(r.output.find(":1:" + std::to_string(12 + run.size() + 14) + ": error:") !=
        std::string::npos);
}

TEST_CASE("an import diamond costs one load per file") {
  Scratch s("diamond");
  const Bounds bounds{1, 30, 200};
  // Merged into one mapping: the result stays small, so the recipe is valid.
  write_diamond(s, "merge", false);
  const std::string merge =
      s.write("merge/top.yaml",
              "imports:\n  d: d0\nquant_cfg:\n  - quantizer_name: '*'\n    cfg: {$import: d}\n");
  expect_fast(check(merge, s.path("merge"), bounds), 0);
  // Spliced into a list: 2^30 entries, refused once a million values are copied in the run, at
  // an import (the old loader refused it at its 4,096th load). A million values take ~330 MB.
  write_diamond(s, "splice", true);
  const std::string splice =
      s.write("splice/top.yaml", "imports:\n  d: d0\nquant_cfg:\n  - $import: d\n");
  const Outcome r = check(splice, s.path("splice"), Bounds{2, 30, 1024});
  expect_fast(r, 1);
  CHECK(r.output.find(".yaml:6:12: error: imports expand the document to more than 1000000 "
                      "values (all imported files of the run together)") != std::string::npos);
  CHECK(r.output.find("[input-limit]") != std::string::npos);
}
