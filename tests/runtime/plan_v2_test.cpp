// plan_version 2 (docs/plan-format.md): the runtime reads from it exactly the plan it reads from
// plan_version 1 of the same resolution; its table references are checked, located.
#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "resolver/plan.h"
#include "resolver/resolve.h"
#include "runtime/plan_reader.h"
#include "tests/resolver/helpers.h"

using namespace qcfg;
using qcfg::test::entries_from_yaml;
using qcfg::test::iq;

namespace {

resolver::Inventory mixed_inventory() {
  resolver::Inventory inv;
  inv.origin = "mixed";
  for (const char* leaf : {"weight_quantizer", "input_quantizer", "output_quantizer"})
    inv.quantizers.push_back(iq(std::string("model.embed_tokens.") + leaf, "nn.Embedding"));
  for (int l = 0; l < 12; ++l)
    for (const char* proj : {"self_attn.q_proj", "mlp.experts.3.down_proj"})
      for (const char* leaf : {"weight_quantizer", "input_quantizer"})
        inv.quantizers.push_back(
            iq("model.layers." + std::to_string(l) + "." + proj + "." + leaf, "nn.Linear"));
  return inv;
}

std::string plan_text(const resolver::Resolution& r, int version, bool provenance) {
  resolver::PlanOptions o;
  o.version = version;
  o.provenance = provenance;
  return resolver::plan_to_json(r, o);
}

runtime::Plan read(SourceManager& sources, const std::string& name, const std::string& text,
                   Diagnostics& diags) {
  return runtime::read_plan(*sources.add(name, name, text), diags);
}

}  // namespace

TEST_CASE("plan_version 2 reads as the same plan as plan_version 1, sequential quantizers too") {
  const resolver::Inventory inv = mixed_inventory();
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*weight_quantizer", cfg: {num_bits: 4, block_sizes: {-1: 16}}}
  - {quantizer_name: "*layers.1?.*q_proj*", cfg: [{num_bits: 8}, {num_bits: 4}]}
  - {quantizer_name: "*input_quantizer", cfg: {num_bits: [4, 3]}, enable: true}
  - {quantizer_name: "*layers.3.*", enable: false}
)");
  const resolver::Resolution r = resolver::resolve(inv, entries);
  REQUIRE(r.ok());
  for (bool provenance : {true, false}) {
    const std::string v1 = plan_text(r, 1, provenance), v2 = plan_text(r, 2, provenance);
    CHECK(v2.size() * 2 < v1.size());
    SourceManager sources;
    Diagnostics d1, d2;
    const runtime::Plan p1 = read(sources, "v1.json", v1, d1);
    const runtime::Plan p2 = read(sources, "v2.json", v2, d2);
    REQUIRE_FALSE(d1.has_errors());
    REQUIRE_FALSE(d2.has_errors());
    REQUIRE(p2.quantizers.size() == inv.quantizers.size());
    REQUIRE(p1.quantizers.size() == p2.quantizers.size());
    CHECK(p2.origin == "mixed");
    size_t sequential = 0;
    for (size_t i = 0; i < p1.quantizers.size(); ++i) {
      const runtime::PlanQuantizer &a = p1.quantizers[i], &b = p2.quantizers[i];
      CAPTURE(a.name);
      CHECK(a.name == b.name);
      CHECK(a.sequential == b.sequential);
      sequential += b.sequential;
      REQUIRE(a.stages.size() == b.stages.size());
      for (size_t s = 0; s < a.stages.size(); ++s) {
        CHECK(a.stages[s].enabled == b.stages[s].enabled);
        CHECK(to_json(a.stages[s].attributes()) == to_json(b.stages[s].attributes()));
      }
      CHECK(b.loc.str().rfind("v2.json:", 0) == 0);  // the quantizer's own record
    }
    CHECK(sequential == 2);  // q_proj weights of layers 10, 11 (a later cfg replaces the inputs')
  }
}

TEST_CASE("plan_version 2: bad table references are located errors") {
  const std::string head = "{\"plan_version\": 2,\n \"attribute_sets\": [{\"num_bits\": 8}],\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + " \"states\": [{\"kind\": \"tensor\", \"enabled\": true, \"attributes\": 1}],\n"
              " \"quantizers\": [{\"name\": \"q\", \"state\": 0}]}",
       "bad.json:3:"},
      {head + " \"states\": [{\"kind\": \"tensor\", \"enabled\": true, \"attributes\": 0}],\n"
              " \"quantizers\": [{\"name\": \"q\", \"state\": 4}]}",
       "bad.json:4:"},
      {head + " \"states\": [{\"kind\": \"tensor\", \"attributes\": 0}],\n"
              " \"quantizers\": [{\"name\": \"q\", \"state\": 0}]}",
       "bad.json:3:"},
      {head + " \"quantizers\": []}", "bad.json:1:"},
  };
  for (const auto& [text, where] : cases) {
    CAPTURE(text);
    SourceManager sources;
    Diagnostics diags;
    (void)read(sources, "bad.json", text, diags);
    REQUIRE(diags.has_errors());
    CHECK(diags.items().at(0).loc.str().rfind(where, 0) == 0);
  }
}
