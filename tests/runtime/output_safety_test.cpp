// The runtime writes only under its staging directory and renames it into place whole:
// shard names outside the checkpoint (`..`, absolute) are refused, symlinked inputs are read and
// never written through, a dangling-symlink --out is refused before any work, every file and
// directory is flushed before the rename, killed runs leave inputs unchanged and --out absent or
// complete, their staging directories are removed by the next run, and a full disk at any write
// fails cleanly. Fault injection goes through tests/runtime/io_fault_shim.c (LD_PRELOAD).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "checkpoint_gen.h"
#include "reference.h"

namespace qcfg::test {
namespace {

using Files = std::map<std::string, std::string>;  // relative path -> bytes (links read through)

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Files snapshot(const fs::path& dir) {
  Files f;
  if (!fs::exists(dir)) return f;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) f[fs::relative(e.path(), dir).generic_string()] = slurp(e.path());
  return f;
}

std::vector<std::string> partial_dirs(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().find(".qcfg-partial-") != std::string::npos)
      found.push_back(e.path().filename().string());
  return found;
}

// A two-shard checkpoint, an NVFP4 export plan compiled on it, and the reference output.
struct Fixture {
  Scratch s;
  std::string plan;
  Fixture() {
    // Without the shim LD_PRELOAD only warns, and the fault tests would inject nothing.
    REQUIRE_MESSAGE(fs::exists(QCFG_IO_FAULT_SHIM),
                    "build the fault shim first: ninja tests/runtime/libqcfg_io_fault.so");
    write_checkpoint(s.path("model"), llama_like(), 2);
    const std::string cfg = s.write("cfg.yaml", weight_only_config(fmt_cfg(Fmt::nvfp4)));
    plan = s.path("plan.json").string();
    const Run c = qcfg("compile " + cfg + " --model " + s.path("model").string() + " -o " + plan);
    REQUIRE_MESSAGE(c.status == 0, c.out);
  }
  std::string apply_args(const fs::path& model, const fs::path& out) const {
    return "apply " + plan + " --model " + model.string() + " --out " + out.string() +
           " --mode export --device cpu --jobs 2 --quiet";
  }
  Run apply(const fs::path& model, const fs::path& out, const std::string& env = "") const {
    return run_command((env.empty() ? "" : "env " + env + " ") + std::string(QCFG_EXE) + " " +
                       apply_args(model, out) + " 2>&1");
  }
};

// A sharded copy of `from` whose index maps its first tensor to `shard` instead.
void redirect_first_tensor(const fs::path& model, const std::string& shard) {
  const fs::path index = model / "model.safetensors.index.json";
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(slurp(index));
  j["weight_map"].begin().value() = shard;
  std::ofstream(index) << j.dump(2);
}

}  // namespace

TEST_CASE("index shard names outside the checkpoint are refused and nothing is written") {
  Fixture f;
  const fs::path outside = f.s.path("outside");
  fs::create_directories(outside);
  const fs::path victim = outside / "model-00001-of-00002.safetensors";
  fs::copy_file(f.s.path("model") / "model-00001-of-00002.safetensors", victim);
  const std::string before = slurp(victim);
  for (const std::string& shard :
       {std::string("../outside/model-00001-of-00002.safetensors"), victim.string()}) {
    CAPTURE(shard);
    fs::remove_all(f.s.path("evil"));
    fs::copy(f.s.path("model"), f.s.path("evil"), fs::copy_options::recursive);
    redirect_first_tensor(f.s.path("evil"), shard);
    const Run r = f.apply(f.s.path("evil"), f.s.path("out"));
    CAPTURE(r.out);
    CHECK(r.status == 2);
    CHECK(r.out.find("not a file inside the checkpoint directory") != std::string::npos);
    CHECK(r.out.find("model.safetensors.index.json:") != std::string::npos);  // located
    CHECK(slurp(victim) == before);
    CHECK_FALSE(fs::exists(f.s.path("out")));
    CHECK(partial_dirs(f.s.path("")).empty());
  }
}

TEST_CASE("symlinked shards and files are read through, never written through") {
  Fixture f;
  const Run ref = f.apply(f.s.path("model"), f.s.path("ref"));
  REQUIRE_MESSAGE(ref.status == 0, ref.out);
  // The Hugging Face cache layout: snapshot files are symlinks into a blob directory.
  const fs::path blobs = f.s.path("blobs"), snap = f.s.path("snapshot");
  fs::create_directories(blobs);
  fs::create_directories(snap);
  for (const auto& e : fs::directory_iterator(f.s.path("model"))) {
    fs::copy_file(e.path(), blobs / e.path().filename());
    fs::create_symlink(fs::relative(blobs / e.path().filename(), snap), snap / e.path().filename());
  }
  const Files blobs_before = snapshot(blobs);
  const Run r = f.apply(snap, f.s.path("out"));
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(snapshot(blobs) == blobs_before);
  Files out = snapshot(f.s.path("out")), expected = snapshot(f.s.path("ref"));
  out.erase("qcfg_runtime.json");  // names the model directory
  expected.erase("qcfg_runtime.json");
  CHECK(out == expected);
  for (const auto& e : fs::recursive_directory_iterator(f.s.path("out")))
    CHECK_MESSAGE(!e.is_symlink(), e.path().string());
}

TEST_CASE("--out inside --model, existing, dangling symlink or empty is refused up front") {
  Fixture f;
  const Files model_before = snapshot(f.s.path("model"));
  fs::create_symlink(f.s.path("nowhere"), f.s.path("dangling"));
  fs::create_directories(f.s.path("exists"));
  const std::vector<std::pair<fs::path, std::string>> cases = {
      {f.s.path("model") / "out", "must not be the input checkpoint or inside it"},
      {f.s.path("model"), "must not be the input checkpoint or inside it"},
      {f.s.path("dangling"), "dangling"},
      {f.s.path("exists"), "already exists"},
      {f.s.path("no-such-dir") / "out", "does not exist"}};
  for (const auto& [out, message] : cases) {
    CAPTURE(out);
    const Run r = f.apply(f.s.path("model"), out);
    CAPTURE(r.out);
    CHECK(r.status == 2);  // an I/O problem, as for every unusable path
    CHECK(r.out.find(message) != std::string::npos);
    CHECK(r.out.find("nothing was written") != std::string::npos);
  }
  const Run empty = run_command(std::string(QCFG_EXE) + " apply " + f.plan + " --model " +
                                f.s.path("model").string() + " --out '' --device cpu 2>&1");
  CAPTURE(empty.out);
  CHECK(empty.status == 2);
  CHECK(empty.out.find("--out is empty") != std::string::npos);
  CHECK_FALSE(fs::exists(f.s.path("nowhere")));
  CHECK(snapshot(f.s.path("model")) == model_before);
  CHECK(partial_dirs(f.s.path("")).empty());
}

TEST_CASE("every output file and directory is flushed before the rename, the parent after") {
  Fixture f;
  const std::string log = f.s.path("io.log").string();
  const Run r = f.apply(f.s.path("model"), f.s.path("out"),
                        "LD_PRELOAD=" QCFG_IO_FAULT_SHIM " QCFG_IO_LOG=" + log);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  std::set<std::string> synced;
  std::string staging;
  bool parent_synced = false;
  std::istringstream lines(slurp(log));
  for (std::string what, a, line; std::getline(lines, line);) {
    std::istringstream l(line);
    l >> what >> a;
    if (what == "fsync" && staging.empty()) synced.insert(a);
    if (what == "rename" && a.find(".out.qcfg-partial-") != std::string::npos) staging = a;
    if (what == "fsync" && !staging.empty() && a == fs::canonical(f.s.path("")).string())
      parent_synced = true;
  }
  REQUIRE_FALSE(staging.empty());
  CHECK(parent_synced);
  CHECK(synced.count(staging));
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(f.s.path("out"))) {
    const std::string rel = fs::relative(e.path(), f.s.path("out")).string();
    CHECK_MESSAGE(synced.count(staging + "/" + rel), rel);
    ++files;
  }
  CHECK(files >= 6);  // two shards, index, config.json, hf_quant_config.json, report, tokenizer
}

TEST_CASE("a full disk at any write fails cleanly: inputs unchanged, no output, no partial") {
  Fixture f;
  const std::string log = f.s.path("count.log").string();
  REQUIRE(f.apply(f.s.path("model"), f.s.path("counted"),
                  "LD_PRELOAD=" QCFG_IO_FAULT_SHIM " QCFG_IO_LOG=" + log)
              .status == 0);
  std::istringstream lines(slurp(log));
  int writes = 0;
  for (std::string line; std::getline(lines, line);) writes += line.rfind("write ", 0) == 0;
  REQUIRE(writes > 5);
  const Files model_before = snapshot(f.s.path("model"));
  const int step = std::max(1, writes / 40);  // at most ~40 runs, the first and last write always
  for (int k = 1; k <= writes; k = (k == writes || k + step <= writes) ? k + step : writes) {
    CAPTURE(k);
    const Run r = f.apply(f.s.path("model"), f.s.path("out"),
                          "LD_PRELOAD=" QCFG_IO_FAULT_SHIM " QCFG_IO_FAIL_AT=" + std::to_string(k));
    CAPTURE(r.out);
    CHECK(r.status == 2);
    CHECK(r.out.find("No space left on device") != std::string::npos);
    CHECK_FALSE(fs::exists(f.s.path("out")));
    CHECK(partial_dirs(f.s.path("")).empty());
  }
  CHECK(snapshot(f.s.path("model")) == model_before);
}

TEST_CASE("killed runs: inputs unchanged, --out absent or complete, partials cleaned next run") {
  Fixture f;
  REQUIRE(f.apply(f.s.path("model"), f.s.path("ref")).status == 0);
  Files expected = snapshot(f.s.path("ref"));
  expected.erase("qcfg_runtime.json");
  const Files model_before = snapshot(f.s.path("model"));
  // Deterministic kill points at writes (every phase of the output), then random times.
  std::mt19937 rng(20261202);
  int complete = 0, absent = 0;
  for (int run = 0; run < 24; ++run) {
    CAPTURE(run);
    fs::remove_all(f.s.path("out"));
    const fs::path out = f.s.path("out");
    if (run < 12) {
      f.apply(f.s.path("model"), out,
              "LD_PRELOAD=" QCFG_IO_FAULT_SHIM " QCFG_IO_KILL_AT=" + std::to_string(1 + run * 3));
    } else {
      const pid_t pid = ::fork();
      if (pid == 0) {
        const std::string cmd = std::string(QCFG_EXE) + " " + f.apply_args(f.s.path("model"), out);
        ::execl("/bin/sh", "sh", "-c", ("exec " + cmd + " >/dev/null 2>&1").c_str(), nullptr);
        ::_exit(127);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1500));
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    CHECK(snapshot(f.s.path("model")) == model_before);
    if (fs::exists(out)) {
      Files got = snapshot(out);
      got.erase("qcfg_runtime.json");
      CHECK(got == expected);
      ++complete;
    } else {
      ++absent;
    }
  }
  CHECK(absent > 0);  // the kills did land mid-run
  // Each run removes the staging directories earlier killed runs left; one more kill mid-write
  // leaves one for certain, and the next run removes it and says so.
  fs::remove_all(f.s.path("out"));
  f.apply(f.s.path("model"), f.s.path("out"),
          "LD_PRELOAD=" QCFG_IO_FAULT_SHIM " QCFG_IO_KILL_AT=3");
  const std::vector<std::string> left = partial_dirs(f.s.path(""));
  CHECK(left.size() == 1);
  const Run next = f.apply(f.s.path("model"), f.s.path("out"));
  CAPTURE(next.out);
  REQUIRE(next.status == 0);
  CHECK(partial_dirs(f.s.path("")).empty());
  CHECK(next.out.find("qcfg: removed ") != std::string::npos);
  CHECK(next.out.find("partial output of an interrupted run") != std::string::npos);
  MESSAGE(complete << " complete, " << absent << " absent, " << left.size() << " partials left");
}

TEST_CASE("staging directories of live runs and of unknown owners are left alone") {
  Fixture f;
  const fs::path mine = f.s.path(".out.qcfg-partial-1");  // no owner marker: an older qcfg
  fs::create_directories(mine);
  // One owned by a process that is still running (this test), with its real start time.
  const fs::path live = f.s.path(".out.qcfg-partial-" + std::to_string(::getpid()));
  fs::create_directories(live);
  const Run marker = run_command(
      "printf 'host %s\\nboot %s\\npid %d\\nstart %s\\n' \"$(hostname)\" "
      "\"$(cat /proc/sys/kernel/random/boot_id)\" " +
      std::to_string(::getpid()) + " \"$(sed 's/.*) //' /proc/" + std::to_string(::getpid()) +
      "/stat | cut -d' ' -f20)\" > " + (live / ".qcfg-staging-owner").string());
  REQUIRE(marker.status == 0);
  const Run r = f.apply(f.s.path("model"), f.s.path("out"));
  CAPTURE(r.out);
  REQUIRE(r.status == 0);
  CHECK(fs::exists(mine));
  CHECK(r.out.find("rm -rf") != std::string::npos);
  CHECK(fs::exists(live));
}

}  // namespace qcfg::test
