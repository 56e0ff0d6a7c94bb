// ModelOpt's resolve conformance cases end to end: the case file through the real pipeline, the
// inventory from its JSON file, the plan compared field by field with the expected output.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "compiler/json_writer.h"
#include "driver/pipeline.h"
#include "resolver/plan.h"
#include "resolver/resolve.h"

using namespace qcfg;
using Json = nlohmann::json;

namespace {

const std::string kCases = std::string(QCFG_SHARED_DIR) + "/conformance/cases/";

Json read_json(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing " << path);
  return Json::parse(in);
}

// Runs one case; returns the number of mismatching quantizers.
int run_case(const Json& c) {
  SourceManager sources;
  Diagnostics diags;
  std::optional<QuantizeConfig> qc =
      load_quantize_config(kCases + c["file"].get<std::string>(), LoadOptions{}, sources, diags);
  REQUIRE(qc.has_value());
  const resolver::Inventory inv =
      resolver::load_inventory_file(kCases + c["inventory"].get<std::string>());
  const resolver::Resolution r = resolver::resolve(inv, qc->quant_cfg);
  const Json expected = read_json(kCases + c["expected"].get<std::string>());
  CHECK(r.ok() == !expected.value("error", false));
  const Json plan = Json::parse(to_json(resolver::plan_to_value(r)));
  const Json& want = expected["quantizers"];
  REQUIRE(plan["quantizers"].size() == want.size());
  int mismatches = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const Json& got = plan["quantizers"][i];
    for (const char* key :
         {"name", "enabled", "attributes", "last_cfg_entry", "last_enable_entry"}) {
      if (got[key] != want[i][key]) {
        ++mismatches;
        MESSAGE(c["id"].get<std::string>()
                << " " << want[i]["name"].get<std::string>() << " " << key << ": got "
                << got[key].dump() << " want " << want[i][key].dump());
      }
    }
  }
  return mismatches;
}

}  // namespace

TEST_CASE("ModelOpt resolve conformance cases") {
  const Json manifest = read_json(kCases + "manifest.json");
  int cases = 0;
  for (const Json& c : manifest["cases"]) {
    if (c["cmd"] != "resolve") continue;
    ++cases;
    CAPTURE(c["id"].get<std::string>());
    CHECK(run_case(c) == 0);
  }
  CHECK(cases > 0);
}
