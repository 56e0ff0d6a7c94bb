// What every command that reads user files shares (issue #6): `--allow-outside-root` on each
// command that loads a config through the recipe loader, the size limit on every whole-file read,
// the path of an unreadable file named in its error, and inventory errors in the standard
// `file:line:col: error:` form. Each case runs the qcfg binary under the bounds of run_bounded.h.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/hardening/run_bounded.h"
#include "tests/hardening/scratch.h"

namespace fs = std::filesystem;
using qcfg::hardening::has_file_error;
using qcfg::hardening::has_located_error;
using qcfg::hardening::Outcome;
using qcfg::hardening::run_bounded;
using Scratch = qcfg::hardening::ScratchDir;
using qcfg::hardening::le64;
using qcfg::hardening::safetensors;

namespace {

const std::string kListSchema =
    "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgListConfig\n";
const std::string kInventory =
    R"([{"name": "model.layers.0.mlp.down_proj.weight_quantizer", "parent_class": "nn.Linear"}])";

Outcome run_qcfg(std::vector<std::string> args, const std::string& cwd) {
  args.insert(args.begin(), QCFG_EXE);
  return run_bounded(args, cwd);
}

bool contains(const Outcome& r, const std::string& text) {
  return r.output.find(text) != std::string::npos;
}

// Some line of the output starts with `prefix`.
bool line_starts_with(const Outcome& r, const std::string& prefix) {
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) out += (out.empty() ? "" : " ") + a;
  return out;
}

// `qcfg ptq` exists only where the runtime is built (LibTorch).
bool has_runtime() { return run_qcfg({"ptq", "--help"}, "").exit_code == 0; }

struct Case {
  std::vector<std::string> args;  // with the file under test in it
  int refused_exit;               // exit status when the file is refused (diff: 2, GNU diff)
};

// Every command that loads FILE through the recipe loader, on `file` (`other`: a valid second
// file for diff).
std::vector<Case> loading_commands(const std::string& file, const std::string& inventory,
                                   const std::string& other) {
  return {
      {{"check", file}, 1},
      {{"normalize", file}, 1},
      {{"load-recipe", file}, 1},
      {{"compile", file, "--inventory", inventory}, 1},
      {{"explain", file, "--inventory", inventory, "*"}, 1},
      {{"diff", file, other, "--inventory", inventory}, 2},
      {{"diff", other, file, "--inventory", inventory}, 2},
      {{"lint", file}, 1},
      {{"migrate", file}, 1},
  };
}

}  // namespace

TEST_CASE(
    "every command that loads a recipe refuses an escaping import unless given "
    "--allow-outside-root") {
  Scratch s("outside");
  s.write("outside/x.yaml", kListSchema + "- {quantizer_name: '*', enable: false}\n");
  s.write("work/top.yaml", "imports:\n  x: '../outside/x'\nquant_cfg:\n  - $import: x\n");
  s.write("work/inv.json", kInventory);
  const std::string work = s.path("work");
  const std::vector<Case> cases = {
      {{"check", "top.yaml"}, 1},
      {{"normalize", "top.yaml"}, 1},
      {{"load-recipe", "top.yaml"}, 1},
      {{"compile", "top.yaml", "--inventory", "inv.json"}, 1},
      {{"explain", "top.yaml", "--inventory", "inv.json", "*"}, 1},
      {{"diff", "top.yaml", "top.yaml", "--inventory", "inv.json"}, 2},
      {{"lint", "top.yaml"}, 1},
  };
  for (const Case& c : cases) {
    CAPTURE(join(c.args));
    const Outcome refused = run_qcfg(c.args, work);
    CAPTURE(refused.output);
    CHECK(refused.exit_code == c.refused_exit);
    // Located at the import's path in top.yaml, in the standard form.
    CHECK(line_starts_with(refused, "top.yaml:2:6: error: import '../outside/x' resolves to"));
    CHECK(contains(refused, "outside the working directory and the recipe root"));
    CHECK(contains(refused,
                   c.args[0] == "lint" ? "check: import-outside-root" : "[import-outside-root]"));

    std::vector<std::string> with_flag = c.args;
    with_flag.push_back("--allow-outside-root");
    const Outcome allowed = run_qcfg(with_flag, work);
    CAPTURE(allowed.output);
    CHECK(allowed.exit_code == 0);
    CHECK_FALSE(contains(allowed, "outside the working directory"));

    const Outcome help = run_qcfg({c.args[0], "--help"}, work);
    CHECK(help.exit_code == 0);
    CHECK(contains(help, "--allow-outside-root let imports resolve outside the working directory"));
  }

  // migrate loads the original to check the migrated text against it: refused, that check
  // cannot run and says why (a warning at the rewritten entry); allowed, it runs.
  s.write("work/legacy.yaml",
          "imports:\n  x: '../outside/x'\nquant_cfg:\n  - $import: x\n"
          "  - '*weight_quantizer': {num_bits: 8, axis: 0}\n");
  const Outcome refused = run_qcfg({"migrate", "legacy.yaml"}, work);
  CAPTURE(refused.output);
  CHECK(refused.exit_code == 0);
  CHECK(line_starts_with(refused,
                         "legacy.yaml:5:5: warning: the original does not load (import "
                         "'../outside/x' resolves to"));
  const Outcome allowed = run_qcfg({"migrate", "legacy.yaml", "--allow-outside-root"}, work);
  CAPTURE(allowed.output);
  CHECK(allowed.exit_code == 0);
  CHECK_FALSE(contains(allowed, "does not load"));
  CHECK(contains(allowed, "quantizer_name: '*weight_quantizer'"));
  const Outcome help = run_qcfg({"migrate", "--help"}, work);
  CHECK(contains(help, "--allow-outside-root let imports resolve outside the working directory"));

  if (!has_runtime()) {
    MESSAGE("qcfg ptq is not built here (no LibTorch): its --allow-outside-root is not tested");
    return;
  }
  s.write("work/m/model.safetensors",
          safetensors(R"({"model.layers.0.mlp.down_proj.weight": )"
                      R"({"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}})",
                      8));
  const std::vector<std::string> ptq = {"ptq",      "top.yaml", "--model", "m",
                                        "--device", "cpu",      "--quiet", "--out"};
  std::vector<std::string> ptq_refused = ptq;
  ptq_refused.push_back("out1");
  const Outcome p1 = run_qcfg(ptq_refused, work);
  CAPTURE(p1.output);
  CHECK(p1.exit_code == 1);
  CHECK(line_starts_with(p1, "top.yaml:2:6: error: import '../outside/x' resolves to"));
  CHECK_FALSE(fs::exists(s.path("work/out1")));
  std::vector<std::string> ptq_allowed = ptq;
  ptq_allowed.insert(ptq_allowed.end(), {"out2", "--allow-outside-root"});
  const Outcome p2 = run_qcfg(ptq_allowed, work);
  CAPTURE(p2.output);
  CHECK_FALSE(contains(p2, "outside the working directory"));
  CHECK(p2.exit_code == 0);
}

TEST_CASE("a file that cannot be read is named by the path given, in every command") {
  Scratch s("unreadable");
  s.write("work/ok.yaml", "quant_cfg: []\n");
  s.write("work/file.yaml", "quant_cfg: []\n");
  s.write("work/inv.json", kInventory);
  fs::create_directories(s.path("work/adir"));
  const std::string work = s.path("work");
  std::vector<std::string> unreadable = {"missing.yaml", "file.yaml/below.yaml"};
  if (::geteuid() != 0) {
    s.write("work/locked.yaml", "quant_cfg: []\n");
    fs::permissions(s.path("work/locked.yaml"), fs::perms::none);
    unreadable.push_back("locked.yaml");
  } else {
    MESSAGE("running as root: a file without read permission is still readable, not tested");
  }
  for (const std::string& file : unreadable) {
    for (const Case& c : loading_commands(file, "inv.json", "ok.yaml")) {
      CAPTURE(join(c.args));
      const Outcome r = run_qcfg(c.args, work);
      CAPTURE(r.output);
      CHECK(r.exit_code == c.refused_exit);
      CHECK_FALSE(contains(r, "<unknown>"));
      CHECK(has_file_error(r.output, file));
      // lint's findings always carry a line (SARIF needs one): the file's first.
      CHECK(line_starts_with(
          r, file + (c.args[0] == "lint" ? ":1:1" : "") + ": error: cannot read '" + file + "': "));
    }
  }
  // A directory is a recipe directory to every command but migrate (and lint, which searches it).
  for (const Case& c : loading_commands("adir", "inv.json", "ok.yaml")) {
    if (c.args[0] == "lint") continue;
    CAPTURE(join(c.args));
    const Outcome r = run_qcfg(c.args, work);
    CAPTURE(r.output);
    CHECK(r.exit_code == c.refused_exit);
    CHECK_FALSE(contains(r, "<unknown>"));
    CHECK(line_starts_with(r, c.args[0] == "migrate"
                                  ? "adir: error: cannot read 'adir': is a directory"
                                  : "adir: error: recipe directory adir has no metadata.yml"));
  }
}

TEST_CASE("every whole-file read is capped: just over the limit, and far over it") {
  Scratch s("cap");
  s.write("work/ok.yaml", "quant_cfg: []\n");
  s.write("work/inv.json", kInventory);
  const std::string work = s.path("work");
  constexpr uintmax_t kLimit = 64u << 20;  // ReadLimits::max_bytes
  s.sparse("work/over.yaml", kLimit + 1);
  // Far over: reading it whole would exceed the 2 GiB memory bound of run_bounded.
  s.sparse("work/far.yaml", uintmax_t{16} << 30);
  for (const std::string file : {"over.yaml", "far.yaml"}) {
    for (const Case& c : loading_commands(file, "inv.json", "ok.yaml")) {
      CAPTURE(join(c.args));
      const Outcome r = run_qcfg(c.args, work);
      CAPTURE(r.output);
      CHECK_FALSE(r.timed_out);
      CHECK(r.signal == 0);
      CHECK(r.exit_code == c.refused_exit);
      CHECK(line_starts_with(r, file + (c.args[0] == "lint" ? ":1:1" : "") + ": error: file is " +
                                    std::to_string(fs::file_size(s.path("work/" + file))) +
                                    " bytes, over the size limit (limit 67108864 bytes; "));
      CHECK(contains(r, c.args[0] == "lint" ? "check: input-limit" : "[input-limit]"));
    }
  }
  // An imported file over the limit: the same error, with the import that named it.
  s.write("work/top.yaml", "imports:\n  big: over\nquant_cfg:\n  - $import: big\n");
  const Outcome r = run_qcfg({"check", "top.yaml"}, work);
  CAPTURE(r.output);
  CHECK(r.exit_code == 1);
  CHECK(contains(r, "over.yaml: error: file is 67108865 bytes, over the size limit"));
  CHECK(contains(r, "note: while importing 'big' at top.yaml:2:8"));
}

TEST_CASE("inventory and checkpoint errors print as file:line:col: error:, not error: file:...") {
  Scratch s("inventory");
  s.write("work/ok.yaml", "quant_cfg: []\n");
  s.write("work/bad.json", "{\"quantizers\": [1,\n  }");
  s.write("work/nameless.json", R"([{"nam": 1}])");
  s.write("work/m/model.safetensors", safetensors(R"({"w": {"dtype": "BF16",)", 0));
  const std::string work = s.path("work");
  struct Source {
    std::vector<std::string> option;  // --inventory FILE or --model DIR
    std::string where;                // the start of the error line
  };
  const std::vector<Source> sources = {
      {{"--inventory", "bad.json"}, "bad.json:2:3: error: invalid JSON: "},
      {{"--inventory", "nameless.json"},
       "nameless.json: error: quantizers[0]: quantizer without a `name` [inventory]"},
      {{"--model", "m"}, "m/model.safetensors:1:32: error: header is not valid JSON: "},
  };
  for (const Source& src : sources) {
    const std::vector<std::vector<std::string>> commands = {{"compile", "ok.yaml"},
                                                            {"explain", "ok.yaml", "*"},
                                                            {"diff", "ok.yaml", "ok.yaml"},
                                                            {"lint", "ok.yaml"}};
    for (std::vector<std::string> args : commands) {
      args.insert(args.end(), src.option.begin(), src.option.end());
      CAPTURE(join(args));
      const Outcome r = run_qcfg(args, work);
      CAPTURE(r.output);
      CHECK(r.exit_code != 0);
      CHECK(line_starts_with(r, src.where));
      CHECK(contains(r, "[inventory]"));
      CHECK_FALSE(line_starts_with(r, "error: "));
    }
  }
  const Outcome r = run_qcfg({"inventory", "m"}, work);
  CAPTURE(r.output);
  CHECK(r.exit_code == 1);
  CHECK(line_starts_with(r, "m/model.safetensors:1:32: error: header is not valid JSON: "));
  CHECK(has_located_error(r.output, "m/model.safetensors"));
  if (has_runtime()) {
    const Outcome p = run_qcfg({"ptq", "ok.yaml", "--model", "m", "--out", "out"}, work);
    CAPTURE(p.output);
    CHECK(p.exit_code == 1);
    CHECK(line_starts_with(p, "m/model.safetensors:1:32: error: header is not valid JSON: "));
    CHECK_FALSE(line_starts_with(p, "error: "));
  }
}
