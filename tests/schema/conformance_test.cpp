// Runs the normalize conformance cases (ModelOpt's real results) through the normalizer and the
// schema validators: expected `"error": true` must fail, anything else must render the same
// QuantizeConfig view.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "compiler/json_writer.h"
#include "schema/quantize_config.h"
#include "tests/schema/test_values.h"

namespace fs = std::filesystem;
using qcfg::Value;

namespace {

// shared/spec/quant_cfg.md §1.2 classification, for single-document files without imports.
qcfg::QuantizeConfigResult validate_file_value(const Value& v) {
  if (v.is_list()) return qcfg::validate_quant_cfg(v);
  if (v.is_map()) {
    bool qc_shape = v.has("quant_cfg");
    bool subset = true;
    for (const auto& e : v.entries()) {
      bool known = e.key.is_string() &&
                   (e.key.as_string() == "quant_cfg" || e.key.as_string() == "algorithm" ||
                    e.key.as_string() == "effective_bits");
      subset = subset && known;
    }
    if (qc_shape || subset) return qcfg::validate_quantize_config(v);
    return qcfg::validate_quant_cfg(v);
  }
  return qcfg::validate_quantize_config(v);
}

std::string canonical(const std::string& json_text) {
  return nlohmann::json::parse(json_text).dump(1);
}

}  // namespace

TEST_CASE("normalize conformance cases match ModelOpt") {
  const char* env = std::getenv("QCFG_CONFORMANCE_DIR");  // override for out-of-tree builds
  fs::path dir = fs::path(env ? env : QCFG_CONFORMANCE_DIR) / "normalize";
  REQUIRE(fs::is_directory(dir));
  int checked = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    std::string name = f.path().filename().string();
    bool is_yaml = f.path().extension() == ".yaml";
    bool is_json = f.path().extension() == ".json" && name.find(".expected.") == std::string::npos;
    if (!is_yaml && !is_json) continue;
    std::string text = qcfg::test::read_file(f.path().string());
    if (text.find("imports") != std::string::npos) continue;  // the loader's job
    std::string stem = name.substr(0, name.rfind('.'));
    auto expected =
        nlohmann::json::parse(qcfg::test::read_file((dir / (stem + ".expected.json")).string()));
    Value input = is_yaml ? qcfg::test::from_yaml(text) : qcfg::test::from_json(text);
    qcfg::QuantizeConfigResult result = validate_file_value(input);
    CAPTURE(name);
    if (expected["error"].get<bool>()) {
      CHECK_FALSE(result.ok());
      CHECK_FALSE(result.errors.empty());
    } else {
      REQUIRE_MESSAGE(result.ok(), (result.errors.empty() ? "" : result.errors[0].message));
      std::string got = qcfg::to_json(qcfg::quantize_config_view(*result.config));
      CHECK(canonical(got) == expected["quantize_configs"]["$"].dump(1));
    }
    ++checked;
  }
  CHECK(checked >= 50);
}
