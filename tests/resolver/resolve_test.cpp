#include "resolver/resolve.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "compiler/json_writer.h"
#include "resolver/attributes.h"
#include "resolver/names.h"
#include "resolver/plan.h"
#include "tests/resolver/helpers.h"

using namespace qcfg;
using namespace qcfg::resolver;
using qcfg::test::entries_from_yaml;
using qcfg::test::iq;

namespace {

Inventory small_inventory() {
  Inventory inv;
  inv.origin = "test";
  for (const char* leaf : {"weight_quantizer", "input_quantizer", "output_quantizer"})
    inv.quantizers.push_back(iq(std::string("model.embed_tokens.") + leaf, "nn.Embedding"));
  for (const char* proj : {"q_proj", "k_proj"})
    for (const char* leaf : {"weight_quantizer", "input_quantizer", "output_quantizer"})
      inv.quantizers.push_back(
          iq(std::string("model.layers.0.self_attn.") + proj + "." + leaf, "nn.Linear"));
  inv.quantizers.push_back(iq("model.layers.0.self_attn.k_bmm_quantizer", "hf.LlamaAttention"));
  inv.quantizers.push_back(
      iq("model.layers.1.mlp.experts.down_proj_input_quantizer", "hf.Experts"));
  inv.quantizers.push_back(iq("model.layers.1.mlp.experts.down_proj_weight_quantizers.0"));
  inv.quantizers.push_back(iq("model.layers.1.mlp.experts.down_proj_weight_quantizers.1"));
  inv.quantizers.push_back(iq("input_quantizer"));
  return inv;
}

const ResolvedQuantizer& get(const Resolution& r, const std::string& name) {
  for (size_t i = 0; i < r.quantizers.size(); ++i)
    if (r.inventory->quantizers[i].name == name) return r.quantizers[i];
  FAIL("no quantizer " << name);
  return r.quantizers[0];
}

std::string attr(const QuantizerNode& n, const char* key) {
  const Value* v = n.attributes->find(key);
  return v ? v->repr() : "<missing>";
}

const std::vector<QuantizerEntry> kNoEntries;
const char* kQProjW = "model.layers.0.self_attn.q_proj.weight_quantizer";

}  // namespace

TEST_CASE("initial states follow QuantModule._setup; inventory fields override") {
  Inventory inv = small_inventory();
  Resolution r = resolve(inv, kNoEntries);
  CHECK(attr(get(r, kQProjW).node, "axis") == "0");
  CHECK(attr(get(r, "model.embed_tokens.weight_quantizer").node, "axis") == "None");
  CHECK_FALSE(get(r, "model.layers.0.self_attn.q_proj.output_quantizer").node.enabled());
  CHECK(get(r, "model.embed_tokens.input_quantizer").node.hard_disabled);
  CHECK(get(r, "model.layers.1.mlp.experts.down_proj_weight_quantizers.0").node.enabled());

  inv.quantizers[3].initial = Value::map();
  inv.quantizers[3].initial->set("num_bits", Value::integer(4));
  inv.quantizers[3].initial_enabled = false;
  Resolution r2 = resolve(inv, kNoEntries);
  CHECK(attr(r2.quantizers[3].node, "num_bits") == "4");
  CHECK(attr(r2.quantizers[3].node, "axis") == "None");
  CHECK_FALSE(r2.quantizers[3].node.enabled());

  ResolveOptions defaults;
  defaults.initial = InitialMode::Defaults;
  const Inventory inv3 = small_inventory();
  Resolution r3 = resolve(inv3, kNoEntries, defaults);
  CHECK(attr(get(r3, kQProjW).node, "axis") == "None");
  CHECK(get(r3, "model.layers.0.self_attn.q_proj.output_quantizer").node.enabled());
}

TEST_CASE("last entry wins; enable-only keeps attributes (r003, r005)") {
  const Inventory inv = small_inventory();
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*weight_quantizer", cfg: {num_bits: 8, axis: 0}}
  - {quantizer_name: "*q_proj*", cfg: {num_bits: 4, block_sizes: {-1: 64}}}
  - {quantizer_name: "*layers.0*", enable: false}
  - {quantizer_name: "*layers.0.self_attn.q_proj.weight_quantizer", enable: true}
)");
  const Resolution r = resolve(inv, entries);
  REQUIRE(r.ok());
  const ResolvedQuantizer& q = get(r, kQProjW);
  CHECK(q.node.enabled());
  CHECK(attr(q.node, "num_bits") == "4");
  CHECK(attr(q.node, "axis") == "None");
  CHECK(q.node.last_cfg_entry == 2);
  CHECK(q.node.last_enable_entry == 4);
  const size_t qi = 3;
  REQUIRE(inv.quantizers[qi].name == kQProjW);
  const auto matched = matched_entries(r, qi);
  CHECK(matched == std::vector<uint32_t>{0, 1, 2, 3, 4});
  CHECK(overridden_entries(q, matched) == std::vector<uint32_t>{0, 1, 3});
  const ResolvedQuantizer& out = get(r, "model.layers.0.self_attn.q_proj.output_quantizer");
  CHECK_FALSE(out.node.enabled());
  CHECK(out.node.last_cfg_entry == 2);  // `*q_proj*` configured and enabled it, then disabled
}

TEST_CASE("cfg.enable is ignored; the entry's enable wins (r013)") {
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*weight_quantizer", cfg: {num_bits: 4, enable: false}}
)");
  const Inventory inv = small_inventory();
  const Resolution r = resolve(inv, entries);
  CHECK(get(r, kQProjW).node.enabled());
}

TEST_CASE("sequential quantizers: creation, broadcast, downgrade, nesting (r009)") {
  const Inventory inv = small_inventory();
  const std::string seq = R"(
  - quantizer_name: "*q_proj.weight_quantizer"
    cfg:
      - {num_bits: 4, block_sizes: {-1: 128, type: static}}
      - {num_bits: e4m3}
)";
  SUBCASE("create, then enable-only broadcasts to the children") {
    const auto e = entries_from_yaml("quant_cfg:" + seq + R"(
  - {quantizer_name: "*q_proj.weight_quantizer", enable: false}
)");
    const Resolution r = resolve(inv, e);
    const QuantizerNode& n = get(r, kQProjW).node;
    REQUIRE(n.sequential);
    REQUIRE(n.children.size() == 2);
    CHECK_FALSE(n.children[0].enabled());
    CHECK_FALSE(n.children[1].enabled());
    CHECK(to_json(node_enabled_value(n), {-1, true}) == "[false, false]");
  }
  SUBCASE("a single cfg downgrades to a TQ") {
    const auto e = entries_from_yaml("quant_cfg:" + seq + R"(
  - {quantizer_name: "*q_proj.weight_quantizer", cfg: {num_bits: 8}}
)");
    const Resolution r = resolve(inv, e);
    CHECK_FALSE(get(r, kQProjW).node.sequential);
    CHECK(get(r, kQProjW).node.last_cfg_entry == 1);
  }
  SUBCASE("a second list cfg nests SQs in the children") {
    const auto e = entries_from_yaml("quant_cfg:" + seq + seq);
    const Resolution r = resolve(inv, e);
    const QuantizerNode& n = get(r, kQProjW).node;
    CHECK(to_json(node_enabled_value(n), {-1, true}) == "[[true, true], [true, true]]");
    CHECK(n.last_cfg_entry == 1);
  }
  SUBCASE("with parent_class the children are not reached: no nesting") {
    const auto e = entries_from_yaml("quant_cfg:" + seq + R"(
  - quantizer_name: "*q_proj.weight_quantizer"
    parent_class: nn.Linear
    cfg: [{num_bits: 8}, {num_bits: 4}, {num_bits: 6}]
)");
    const Resolution r = resolve(inv, e);
    const QuantizerNode& n = get(r, kQProjW).node;
    CHECK(to_json(node_enabled_value(n), {-1, true}) == "[true, true]");
    CHECK(attr(n.children[1], "num_bits") == "4");
    REQUIRE(r.diagnostics.items().size() == 1);  // length mismatch warning
    CHECK(r.diagnostics.items()[0].rule_id == "sequential-length-mismatch");
    CHECK(r.ok());
  }
}

TEST_CASE("hard-disabled embedding input quantizer (r017); a list cfg escapes it") {
  const Inventory inv = small_inventory();
  const auto r_entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", cfg: {num_bits: 8}}
  - {quantizer_name: "*embed_tokens.input_quantizer", enable: true}
)");
  const Resolution r = resolve(inv, r_entries);
  const ResolvedQuantizer& q = get(r, "model.embed_tokens.input_quantizer");
  CHECK_FALSE(q.node.enabled());
  CHECK(q.node.last_cfg_entry == 0);
  CHECK(q.node.last_enable_entry == 1);
  const auto r2_entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*embed_tokens.input_quantizer", cfg: [{num_bits: 8}]}
)");
  const Resolution r2 = resolve(inv, r2_entries);
  CHECK(to_json(node_enabled_value(get(r2, "model.embed_tokens.input_quantizer").node),
                {-1, true}) == "[true]");
}

TEST_CASE("enable-only false turns rotation off for good; MX forces pass_through_bwd") {
  const Inventory inv = small_inventory();
  const auto r_entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*q_proj.weight_quantizer", cfg: {num_bits: 4, rotate: true}}
  - {quantizer_name: "*k_proj.weight_quantizer", cfg: {num_bits: 4, rotate: true}, enable: false}
  - {quantizer_name: "*q_proj.weight_quantizer", enable: false}
  - {quantizer_name: "*_proj.weight_quantizer", enable: true}
  - {quantizer_name: "*input_quantizer", cfg: {num_bits: [2, 1], block_sizes: {-1: 32, type: dynamic, scale_bits: [8, 0]}, pass_through_bwd: false}}
)");
  const Resolution r = resolve(inv, r_entries);
  REQUIRE(r.ok());
  CHECK(attr(get(r, kQProjW).node, "rotate") == "False");
  CHECK(attr(get(r, "model.layers.0.self_attn.k_proj.weight_quantizer").node, "rotate") == "True");
  CHECK(attr(get(r, "model.layers.0.self_attn.q_proj.input_quantizer").node, "pass_through_bwd") ==
        "True");
  CHECK(node_format_label(get(r, "model.layers.0.self_attn.q_proj.input_quantizer").node) ==
        "MXFP4");
}

TEST_CASE(
    "parent_class: immediate parent only; root and ModuleList children never match (r001, r023)") {
  const Inventory inv = small_inventory();
  const auto r_entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*", parent_class: nn.Linear, enable: true}
  - {quantizer_name: "*bmm*", parent_class: hf.LlamaAttention, enable: true}
)");
  const Resolution r = resolve(inv, r_entries);
  REQUIRE(r.ok());
  CHECK(get(r, kQProjW).node.enabled());
  CHECK(get(r, "model.layers.0.self_attn.k_bmm_quantizer").node.enabled());
  CHECK_FALSE(get(r, "input_quantizer").node.enabled());
  CHECK_FALSE(get(r, "model.layers.1.mlp.experts.down_proj_weight_quantizers.0").node.enabled());
  CHECK_FALSE(get(r, "model.embed_tokens.weight_quantizer").node.enabled());
}

TEST_CASE("fused experts: normalized and raw names both match (r011)") {
  const Inventory inv = small_inventory();
  const auto r_entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*weight_quantizer", cfg: {num_bits: 4}}
  - {quantizer_name: "*down_proj_weight_quantizers.1", enable: false}
)");
  const Resolution r = resolve(inv, r_entries);
  CHECK(get(r, "model.layers.1.mlp.experts.down_proj_weight_quantizers.0").node.enabled());
  CHECK(attr(get(r, "model.layers.1.mlp.experts.down_proj_weight_quantizers.0").node, "num_bits") ==
        "4");
  CHECK_FALSE(get(r, "model.layers.1.mlp.experts.down_proj_weight_quantizers.1").node.enabled());
}

TEST_CASE("unknown parent_class fails when reached, located at the entry") {
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*", parent_class: nn.Linearr, enable: true}
  - {quantizer_name: "*", enable: true}
)");
  const Inventory inv = small_inventory();
  const Resolution r = resolve(inv, entries);
  CHECK_FALSE(r.ok());
  CHECK(r.entries_applied == 1);
  REQUIRE(r.diagnostics.items().size() == 1);
  const Diagnostic& d = r.diagnostics.items()[0];
  CHECK(d.rule_id == "parent-class-unknown");
  CHECK(d.loc.line == 3);
  CHECK(d.message.find("nn.Linearr") != std::string::npos);
  CHECK_FALSE(get(r, kQProjW).node.enabled());  // entry 0 was applied
}

TEST_CASE("shape matching gives exactly the naive loop's result") {
  Inventory inv;
  inv.origin = "gen";
  for (int layer = 0; layer < 12; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    for (const char* proj : {"self_attn.q_proj", "mlp.shared_experts.down_proj"})
      for (const char* leaf : {"weight_quantizer", "input_quantizer", "output_quantizer"})
        inv.quantizers.push_back(iq(p + proj + "." + leaf, "nn.Linear"));
    for (int e = 0; e < 11; ++e)
      inv.quantizers.push_back(
          iq(p + "mlp.experts.gate_up_proj_weight_quantizers." + std::to_string(e)));
    inv.quantizers.push_back(iq(p + "self_attn.k_bmm_quantizer", "hf.X"));
  }
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*weight_quantizer", cfg: {num_bits: 4}}
  - {quantizer_name: "*layers.1.*", enable: false}
  - {quantizer_name: "*layers.1?.*q_proj*", cfg: [{num_bits: 8}, {num_bits: 4}]}
  - {quantizer_name: "*gate_up_proj_weight_quantizers.[13]", cfg: {num_bits: 6}}
  - {quantizer_name: "*mlp*", cfg: [{num_bits: 8}, {num_bits: 4}]}
  - {quantizer_name: "*mlp*", cfg: [{num_bits: 8}, {num_bits: 4}]}
  - {quantizer_name: "*bmm_quantizer", enable: true}
)");
  ResolveOptions naive;
  naive.naive_matching = true;
  const Resolution fast = resolve(inv, entries);
  const Resolution slow = resolve(inv, entries, naive);
  CHECK(fast.stats.shapes < inv.quantizers.size() / 5);
  CHECK(to_json(plan_to_value(fast)) == to_json(plan_to_value(slow)));
  // The streaming writer gives the same text, sequential quantizers included.
  CHECK(plan_to_json(fast) == to_json(plan_to_value(fast)));
  PlanOptions bare;
  bare.provenance = false;
  CHECK(plan_to_json(fast, bare) == to_json(plan_to_value(fast, bare)));
}

// A large inventory: shape ids in order of first occurrence over the whole inventory, shapes first
// met late (and normalized names there) included; matching gives the naive loop's plan. (Written
// for a two-thread numbering that was not kept; it holds any numbering to the one-loop order.)
TEST_CASE("name shapes of a large inventory: numbered as one loop numbers them") {
  Inventory inv;
  inv.origin = "gen";
  // A shape met only at the start, first: a numbering that restarts midway would differ.
  inv.quantizers.push_back(iq("model.embed_tokens.input_quantizer", "nn.Embedding"));
  for (int layer = 0; layer < 40; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    for (int e = 0; e < 64; ++e)
      for (const char* leaf : {"weight_quantizer", "input_quantizer"})
        inv.quantizers.push_back(
            iq(p + "mlp.experts." + std::to_string(e) + ".up_proj." + leaf, "nn.Linear"));
    if (layer >= 30) {  // only in the second half
      inv.quantizers.push_back(iq(p + "late_" + std::to_string(layer % 2) + ".input_quantizer"));
      inv.quantizers.push_back(iq(p + "mlp.experts.down_proj_weight_quantizers.7"));
    }
  }
  REQUIRE(inv.quantizers.size() > 4096);
  std::vector<uint32_t> expected;
  std::vector<std::string> keys;
  for (const InventoryQuantizer& q : inv.quantizers) {
    std::string norm = normalize_fused_experts_name(q.name);
    if (norm == q.name) norm.clear();
    const std::string key = name_shape(q.name) + '\0' + name_shape(norm);
    const auto at = std::find(keys.begin(), keys.end(), key);
    expected.push_back(static_cast<uint32_t>(at - keys.begin()));
    if (at == keys.end()) keys.push_back(key);
  }
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*weight_quantizer", cfg: {num_bits: 4}}
  - {quantizer_name: "*late_1*", cfg: {num_bits: 8}}
  - {quantizer_name: "*layers.3?.*", enable: true}
)");
  const Resolution r = resolve(inv, entries);
  CHECK(r.stats.shapes == keys.size());
  CHECK(keys.size() == 5);
  CHECK(r.shape_of == expected);
  ResolveOptions naive;
  naive.naive_matching = true;
  CHECK(to_json(plan_to_value(r)) == to_json(plan_to_value(resolve(inv, entries, naive))));
}

// Patterns `*L*` that tell digits apart are matched only on names whose shape contains L's
// shape: digits at L's ends (part of a longer run in the name), inside it, normalized names.
TEST_CASE("`*L*` patterns with digits: the shape prefilter gives the naive loop's result") {
  Inventory inv;
  inv.origin = "gen";
  for (int layer : {0, 1, 2, 10, 11, 21, 100}) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    for (const char* m : {"mixer.conv1d", "mixer.conv12d", "mixer.conv1d0", "mlp.up_proj"})
      for (const char* leaf : {"weight_quantizer", "input_quantizer"})
        inv.quantizers.push_back(iq(p + m + "." + leaf, "nn.Linear"));
    for (int e : {0, 1, 3, 13})
      inv.quantizers.push_back(
          iq(p + "mlp.experts.gate_up_proj_weight_quantizers." + std::to_string(e)));
  }
  const auto entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*conv1d*", cfg: {num_bits: 4}}
  - {quantizer_name: "*layers.1*", cfg: {num_bits: 6}}
  - {quantizer_name: "*1.mixer*", enable: true}
  - {quantizer_name: "*0d0.w*", cfg: {num_bits: 8}}
  - {quantizer_name: "*1*", enable: false}
  - {quantizer_name: "*2*", enable: true}
  - {quantizer_name: "*proj_weight_quantizer.1*", cfg: {num_bits: 5}}
  - {quantizer_name: "*quantizers.1*", enable: false}
  - {quantizer_name: "*weight_quantizer", enable: true}
  - {quantizer_name: "*conv9*", enable: false}
)");
  ResolveOptions naive;
  naive.naive_matching = true;
  const Resolution fast = resolve(inv, entries);
  const Resolution slow = resolve(inv, entries, naive);
  CHECK(fast.stats.name_matches < slow.stats.name_matches);
  CHECK(to_json(plan_to_value(fast)) == to_json(plan_to_value(slow)));
  PlanOptions v2;
  v2.version = 2;
  CHECK(plan_to_json(fast, v2) == plan_to_json(slow, v2));
  size_t enabled = 0;
  for (const ResolvedQuantizer& q : fast.quantizers) enabled += q.node.enabled();
  CHECK(enabled > 0);
  CHECK(enabled < fast.quantizers.size());
}

TEST_CASE("plan value and summary") {
  Inventory inv = small_inventory();
  inv.quantizers[3].tensors.push_back({"w", "BF16", {8, 8}, 128, "model.safetensors", -1});
  inv.quantizers[6].tensors.push_back({"w2", "BF16", {8, 8}, 128, "model.safetensors", -1});
  const auto r_entries = entries_from_yaml(R"(quant_cfg:
  - {quantizer_name: "*", enable: false}
  - {quantizer_name: "*q_proj.weight_quantizer", cfg: {num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}}}
)");
  const Resolution r = resolve(inv, r_entries);
  const Value plan = plan_to_value(r);
  CHECK(plan.find("plan_version")->as_int() == 1);
  const Value& q = plan.find("quantizers")->items()[3];
  CHECK(q.find("last_cfg_entry")->as_int() == 1);
  CHECK(q.find("provenance")->find("last_cfg_entry")->as_string().find(":3:") != std::string::npos);
  const std::string text = plan_summary_text(r);
  CHECK(text.find("NVFP4") != std::string::npos);
  CHECK(text.find("unquantized (BF16)") != std::string::npos);
  CHECK(text.find("50.0%") != std::string::npos);
}
