// `qcfg lint` end to end: exit codes, the three output formats (SARIF validated against the
// bundled OASIS SARIF 2.1.0 schema with python3-jsonschema), suppression, --fix and --diff, and
// that a fix that cannot be written leaves the file as it was.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/cli/qcfg_under_test.h"
#include "tests/lint/test_util.h"
#include "tests/run_command.h"

namespace fs = std::filesystem;
using qcfg::lint::testing::read_text;

namespace {

using qcfg::test::qcfg_under_test;
using qcfg::test::Run;

// `cmd`, stdout and stderr together.
Run shell(const std::string& cmd) { return qcfg::test::run_command(cmd + " 2>&1"); }

Run lint(const std::string& args) { return shell(qcfg_under_test() + " lint " + args); }

class Scratch {
 public:
  Scratch() : dir_(fs::temp_directory_path() / ("qcfg-lint-cli-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~Scratch() {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

const char* kClean =
    "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n"
    "  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n";
const char* kShadowed =  // QC005 warning only
    "quant_cfg:\n  - quantizer_name: '*mlp*weight_quantizer'\n    cfg: {num_bits: 4}\n"
    "  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n";
const char* kCfgEnable =  // QC004 error at 3:32
    "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    cfg: {num_bits: 8, enable: false}\n";
const char* kPath =  // QC002 error, fixable
    "# keep this comment\nquant_cfg:\n  - quantizer_path: \"*weight_quantizer\"  # trailing\n"
    "    cfg: {num_bits: 8, axis: 0}\n";

// Validates a SARIF log against the bundled OASIS SARIF 2.1.0 schema.
void check_sarif_schema(const fs::path& sarif) {
  const std::string schema = std::string(QCFG_SOURCE_DIR) + "/tests/lint/sarif-schema-2.1.0.json";
  const Run valid = shell(
      "python3 -c 'import json, sys, jsonschema; "
      "jsonschema.Draft4Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2]"
      ")))' " +
      schema + " " + sarif.string());
  CAPTURE(valid.out);
  CHECK(valid.status == 0);
}

}  // namespace

TEST_CASE("usage errors exit 2; --explain and --list-rules exit 0") {
  Scratch s;
  const std::string f = s.write("clean.yaml", kClean);
  CHECK(lint("").status == 2);
  CHECK(lint("--select QC999 " + f).status == 2);
  CHECK(lint("--format xml " + f).status == 2);
  CHECK(lint("--fail-on never " + f).status == 2);
  CHECK(lint("--fix --diff " + f).status == 2);
  CHECK(lint("--explain QC999").status == 2);
  const Run explain = lint("--explain QC004");
  CHECK(explain.status == 0);
  CHECK(explain.out.rfind("# QC004 cfg-enable-ignored\n", 0) == 0);
  const Run list = lint("--list-rules");
  CHECK(list.status == 0);
  CHECK(list.out.find("QC002  error    quantizer-path-spelling") != std::string::npos);
}

TEST_CASE("--target names an engine and needs a model; its findings are located at the entry") {
  const std::string fixtures = std::string(QCFG_SOURCE_DIR) + "/tests/lint/fixtures/";
  const std::string inventory = "--inventory " + fixtures + "inventories/engines.json ";
  const std::string f = fixtures + "QC028_vllm_int4.yaml";
  const Run no_model = lint("--target vllm " + f);
  CHECK(no_model.status == 2);
  CHECK(no_model.out.find("--target needs --model or --inventory") != std::string::npos);
  const Run unknown = lint(inventory + "--target vlm " + f);
  CHECK(unknown.status == 2);
  CHECK(unknown.out.find("--target vlm: unknown serving engine (vllm, trtllm, sglang)") !=
        std::string::npos);
  // Comma-separated and repeated forms select the same engines.
  const Run both = lint(inventory + "--target vllm,sglang --select QC028 --fail-on warning " + f);
  const Run repeated =
      lint(inventory + "--target vllm --target sglang --select QC028 --fail-on warning " + f);
  CHECK(both.status == 1);
  CHECK(both.out == repeated.out);
  CHECK(both.out.find("QC028_vllm_int4.yaml:7:10: warning: vLLM does not load quant_algo "
                      "W4A16_AWQ") != std::string::npos);
  CHECK(both.out.find("QC028_vllm_int4.yaml:7:10: warning: SGLang does not load quant_algo "
                      "W4A16_AWQ") != std::string::npos);
  // trtllm loads W4A16_AWQ and an INT8 KV cache.
  CHECK(lint(inventory + "--target trtllm --select QC028 --fail-on warning " + f).status == 0);
}

TEST_CASE("exit status follows --fail-on") {
  Scratch s;
  CHECK(lint(s.write("clean.yaml", kClean)).status == 0);
  const std::string warn = s.write("warn.yaml", kShadowed);
  CHECK(lint(warn).status == 0);
  CHECK(lint("--fail-on warning " + warn).status == 1);
  CHECK(lint("--fail-on info " + warn).status == 1);
  const std::string err = s.write("err.yaml", kCfgEnable);
  CHECK(lint(err).status == 1);
  CHECK(lint("--ignore QC004 " + err).status == 0);
  CHECK(lint("--select QC005 " + err).status == 0);
}

TEST_CASE("text output: file:line:col: severity: message [ID], source line and caret") {
  Scratch s;
  const std::string err = s.write("err.yaml", kCfgEnable);
  const Run r = lint(err);
  CHECK(r.out.find(err +
                   ":3:32: error: `cfg.enable` has no effect; the quantizer ends up "
                   "enabled (the entry's own `enable` decides). Write `enable` on the entry "
                   "[QC004]\n      cfg: {num_bits: 8, enable: false}\n  " +
                   std::string(31, ' ') + "^\n") != std::string::npos);
  CHECK(r.out.find("1 finding(s) in 1 file(s)") != std::string::npos);
}

TEST_CASE("a suppression comment on the entry's line or the line before silences it") {
  Scratch s;
  CHECK(lint(s.write("a.yaml",
                     "quant_cfg:\n  # qcfg: ignore[QC004]\n  - quantizer_name: '*lm_head*'\n"
                     "    cfg: {num_bits: 8, enable: false}\n"))
            .status == 0);
  CHECK(lint(s.write("b.yaml",
                     "quant_cfg:\n  - quantizer_name: '*lm_head*'\n"
                     "    cfg: {num_bits: 8, enable: false}  # qcfg: ignore[cfg-enable-ignored]\n"))
            .status == 0);
  CHECK(lint(s.write("c.yaml",
                     "quant_cfg:\n  - quantizer_name: '*lm_head*'  # qcfg: ignore[QC005]\n"
                     "    cfg: {num_bits: 8, enable: false}\n"))
            .status == 1);
}

TEST_CASE("json output lists findings with rule, location and fix") {
  Scratch s;
  const std::string f = s.write("p.yaml", kPath);
  const Run r = shell(qcfg_under_test() + " lint --format json " + f + " 2>/dev/null");
  CHECK(r.status == 1);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j["findings"].size() == 1);
  const auto& finding = j["findings"][0];
  CHECK(finding["rule"] == "QC002");
  CHECK(finding["name"] == "quantizer-path-spelling");
  CHECK(finding["line"] == 3);
  CHECK(finding["column"] == 5);
  CHECK(finding["severity"] == "error");
  CHECK(finding["fix"]["edits"][0]["replacement"] == "quantizer_name");
  CHECK(j["summary"]["errors"] == 1);
}

TEST_CASE("sarif output validates against the SARIF 2.1.0 schema and carries rule metadata") {
  Scratch s;
  s.write("p.yaml", kPath);
  s.write("w.yaml", kShadowed);
  const fs::path sarif = s.dir() / "out.sarif";
  const Run r = shell("cd " + s.dir().string() + " && " + qcfg_under_test() +
                      " lint --format sarif -o out.sarif p.yaml w.yaml");
  CHECK(r.status == 1);
  check_sarif_schema(sarif);
  const auto log = nlohmann::json::parse(read_text(sarif));
  CHECK(log["version"] == "2.1.0");
  const auto& run = log["runs"][0];
  const auto& rules = run["tool"]["driver"]["rules"];
  REQUIRE(rules.size() >= 20);
  for (const auto& rule : rules) {
    CHECK(rule.contains("shortDescription"));
    CHECK(rule.contains("fullDescription"));
    CHECK(rule["helpUri"].get<std::string>().rfind("https://", 0) == 0);
    CHECK(rule["defaultConfiguration"].contains("level"));
  }
  REQUIRE(run["results"].size() == 2);
  const auto& result = run["results"][0];
  CHECK(result["ruleId"] == "QC002");
  CHECK(result["level"] == "error");
  CHECK(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "p.yaml");
  CHECK(result["locations"][0]["physicalLocation"]["region"]["startLine"] == 3);
  CHECK(result["partialFingerprints"].contains("primaryLocationLineHash"));
  CHECK(run["results"][1]["level"] == "warning");
}

TEST_CASE("sarif: URIs percent-encoded against %SRCROOT% or absolute, columns in UTF-16 units") {
  Scratch s;
  fs::create_directories(s.dir() / "a b#c");
  // 'é' is 2 bytes and 1 UTF-16 unit, '😀' 4 bytes and 2 units: 'axsi' is 3 units left of its
  // byte column.
  s.write("a b#c/x.yaml",
          "- {quantizer_name: \"\xc3\xa9\xf0\x9f\x98\x80*\", cfg: {num_bits: 8, axsi: 0}}\n");
  const Run text =
      shell("cd " + s.dir().string() + " && " + qcfg_under_test() + " lint 'a b#c/x.yaml'");
  CHECK(text.out.find("a b#c/x.yaml:1:50: error:") != std::string::npos);  // bytes, as check
  const Run r = shell("cd " + s.dir().string() + " && " + qcfg_under_test() +
                      " lint --format sarif -o out.sarif 'a b#c/x.yaml'");
  CHECK(r.status == 1);
  check_sarif_schema(s.dir() / "out.sarif");
  const auto run = nlohmann::json::parse(read_text(s.dir() / "out.sarif"))["runs"][0];
  CHECK(run["columnKind"] == "utf16CodeUnits");
  const std::string root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"];
  CHECK(root == "file://" + fs::canonical(s.dir()).string() + "/");
  REQUIRE(run["results"].size() == 1);
  const auto& at = run["results"][0]["locations"][0]["physicalLocation"];
  CHECK(at["artifactLocation"]["uri"] == "a%20b%23c/x.yaml");
  CHECK(at["artifactLocation"]["uriBaseId"] == "%SRCROOT%");
  CHECK(at["region"]["startColumn"] == 47);
  // Outside the working directory: an absolute file:// URI, no base.
  fs::create_directories(s.dir() / "elsewhere");
  const Run outside = shell("cd " + (s.dir() / "elsewhere").string() + " && " + qcfg_under_test() +
                            " lint --format sarif -o out.sarif '../a b#c/x.yaml'");
  CHECK(outside.status == 1);
  check_sarif_schema(s.dir() / "elsewhere/out.sarif");
  const auto run2 = nlohmann::json::parse(read_text(s.dir() / "elsewhere/out.sarif"))["runs"][0];
  const auto& artifact = run2["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
  CHECK(artifact["uri"] == "file://" + fs::canonical(s.dir()).string() + "/a%20b%23c/x.yaml");
  CHECK_FALSE(artifact.contains("uriBaseId"));
  CHECK(at["region"]["startLine"] == 1);
}

TEST_CASE("--diff prints the fixes and changes nothing; --fix applies them, idempotently") {
  Scratch s;
  const std::string f = s.write("p.yaml", kPath);
  const Run diff = lint("--diff " + f);
  CHECK(diff.status == 1);
  CHECK(diff.out.find("-  - quantizer_path: \"*weight_quantizer\"  # trailing\n"
                      "+  - quantizer_name: \"*weight_quantizer\"  # trailing\n") !=
        std::string::npos);
  CHECK(read_text(f) == kPath);
  const Run fix = lint("--fix " + f);
  CHECK(fix.status == 0);
  const std::string fixed = read_text(f);
  CHECK(fixed ==
        "# keep this comment\nquant_cfg:\n  - quantizer_name: \"*weight_quantizer\"  # trailing\n"
        "    cfg: {num_bits: 8, axis: 0}\n");
  CHECK(lint("--diff " + f).status == 0);
  CHECK(lint("--fix " + f).status == 0);
  CHECK(read_text(f) == fixed);
}

TEST_CASE("--fix in a read-only directory fails with status 2 and leaves the file intact") {
  Scratch s;
  const std::string f = s.write("p.yaml", kPath);
  fs::permissions(s.dir(), fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                               fs::perms::group_exec | fs::perms::others_read |
                               fs::perms::others_exec);
  // Root ignores permission bits: run as `nobody` then.
  const std::string as_user =
      ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  const Run r = shell(as_user + qcfg_under_test() + " lint --fix " + f);
  CAPTURE(r.out);
  CHECK(r.status == 2);
  CHECK(r.out.find("cannot write the fixes") != std::string::npos);
  CHECK(read_text(f) == kPath);
  for (const auto& e : fs::directory_iterator(s.dir()))  // no temporary left behind
    CHECK(e.path().filename() == "p.yaml");
}

TEST_CASE("--fix migrates legacy forms when the meaning is kept, and only then") {
  Scratch s;
  const std::string legacy =
      s.write("legacy.yaml",
              "# comment kept\nquant_cfg:\n  '*weight_quantizer': {num_bits: 8, axis: 0}\n"
              "  '*input_quantizer': {num_bits: 8}\n");
  CHECK(lint("--select QC001 " + legacy).status == 0);  // a warning
  CHECK(lint("--select QC001 --fix " + legacy).status == 0);
  CHECK(read_text(legacy) ==
        "# comment kept\nquant_cfg:\n  - quantizer_name: '*weight_quantizer'\n"
        "    cfg: {num_bits: 8, axis: 0}\n  - quantizer_name: '*input_quantizer'\n"
        "    cfg: {num_bits: 8}\n");
  CHECK(lint("--select QC001 --fail-on info " + legacy).status == 0);
  const std::string text =
      "quant_cfg:\n  '*weight_quantizer': {num_bits: 8, axis: 0}\n  default: {enable: false}\n";
  const std::string reordered = s.write("default.yaml", text);
  const Run r = lint("--select QC001 --diff " + reordered);
  CHECK(r.status == 0);  // no safe fix: nothing to show
  CHECK(r.out.empty());
  CHECK(lint("--select QC001 " + reordered).out.find("no automatic fix") != std::string::npos);
  CHECK(read_text(reordered) == text);
}

TEST_CASE("a directory without config files is an error that says so, not a silent success") {
  Scratch s;
  fs::create_directories(s.dir() / "empty");
  fs::create_directories(s.dir() / "docs");
  s.write("docs/notes.txt", "not a config\n");
  for (const char* name : {"empty", "docs"}) {
    const Run r = lint((s.dir() / name).string());
    CAPTURE(r.out);
    CHECK(r.status == 2);
    CHECK(r.out.find((s.dir() / name).string() +
                     ": error: no .yaml, .yml or .json file or directory recipe in this directory; "
                     "nothing to lint") != std::string::npos);
  }
}

TEST_CASE("directories expand to their config files; a directory recipe is one unit") {
  Scratch s;
  fs::create_directories(s.dir() / "tree" / "recipe");
  s.write("tree/recipe/metadata.yml", "recipe_type: ptq\n");
  s.write("tree/recipe/quantize.yml", std::string("algorithm: max\n") + kCfgEnable);
  s.write("tree/p.yaml", kPath);
  s.write("tree/notes.txt", "not a config\n");
  const Run r = lint((s.dir() / "tree").string());
  CAPTURE(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("tree/recipe/quantize.yml:4:32: error: `cfg.enable` has no effect") !=
        std::string::npos);
  CHECK(r.out.find("tree/p.yaml:3:5: error:") != std::string::npos);
  CHECK(r.out.find("metadata.yml") == std::string::npos);  // not linted as a config of its own
  CHECK(r.out.find("2 finding(s) in 2 file(s)") != std::string::npos);
}
