// Fuzz target: the validator (every schema a value can be checked against) and, for a valid
// QuantizeConfig, the resolver and plan writer on a small fixed inventory. The input is one JSON
// document (the front end is fuzzed by fuzz_front_end); JSON gives the mutator structured values.
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/document/reader.h"
#include "compiler/json_writer.h"
#include "driver/schema_bridge.h"
#include "resolver/inventory.h"
#include "resolver/plan.h"
#include "resolver/resolve.h"

namespace {

using namespace qcfg;
using loader::SchemaKind;

constexpr SchemaKind kSchemas[] = {
    SchemaKind::AttributeConfig,
    SchemaKind::RotateConfig,
    SchemaKind::Entry,
    SchemaKind::QuantizeConfig,
    SchemaKind::PtqRecipe,
    SchemaKind::AutoQuantizeRecipe,
    SchemaKind::SpeculativeEagleRecipe,
    SchemaKind::RecipeMetadata,
    SchemaKind::AutoQuantizeConfig,
    SchemaKind::ModuleSearchSpace,
    SchemaKind::EntryList,
    SchemaKind::AttributeList,
    SchemaKind::QuantizeConfigList,
    SchemaKind::StringList,
    SchemaKind::SearchSpaceList,
    SchemaKind::EntryCfg,
};

// A one-layer Llama-like model with an MoE block and attention BMM quantizers: enough parents
// and name shapes for every resolver path (parent filters, sequential quantizers, experts).
const resolver::Inventory& fuzz_inventory() {
  static const resolver::Inventory inventory = resolver::inventory_from_json_text(R"([
    {"name": "model.embed_tokens.input_quantizer", "parent_class": "nn.Embedding"},
    {"name": "model.embed_tokens.weight_quantizer", "parent_class": "nn.Embedding"},
    {"name": "model.layers.0.self_attn.q_proj.weight_quantizer", "parent_class": "nn.Linear"},
    {"name": "model.layers.0.self_attn.q_proj.input_quantizer", "parent_class": "nn.Linear"},
    {"name": "model.layers.0.self_attn.k_bmm_quantizer", "parent_class": "hf.LlamaAttention"},
    {"name": "model.layers.0.self_attn.v_bmm_quantizer", "parent_class": "hf.LlamaAttention"},
    {"name": "model.layers.0.mlp.experts.gate_up_proj_input_quantizer",
     "parent_class": "hf.Qwen3MoeExperts"},
    {"name": "model.layers.0.mlp.experts.gate_up_proj_weight_quantizers.0"},
    {"name": "model.layers.0.mlp.experts.3.down_proj.weight_quantizer",
     "parent_class": "nn.Linear"},
    {"name": "model.layers.1.mlp.gate.weight_quantizer", "parent_class": "nn.Linear"},
    {"name": "lm_head.weight_quantizer", "parent_class": "nn.Linear"},
    {"name": "lm_head.output_quantizer", "parent_class": "nn.Linear"}
  ])",
                                                                                  "fuzz");
  return inventory;
}

void resolve_and_plan(const QuantizeConfig& qc) {
  for (resolver::InitialMode mode :
       {resolver::InitialMode::ModelOpt, resolver::InitialMode::Defaults}) {
    resolver::ResolveOptions options;
    options.initial = mode;
    const resolver::Resolution r = resolver::resolve(fuzz_inventory(), qc.quant_cfg, options);
    (void)resolver::plan_to_json(r);
    (void)resolver::plan_summary_text(r);
  }
}

void check(const driver::Validated& v) {
  for (const Diagnostic& d : v.errors) (void)render_text(d);
  for (const auto& [where, qc] : v.quantize_configs) {
    (void)to_json(driver::quantize_config_view(qc));
    resolve_and_plan(qc);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  SourceManager sources;
  const SourceFile* file =
      sources.add("fuzz.json", "fuzz.json", std::string(reinterpret_cast<const char*>(data), size));
  ReadLimits limits;
  limits.max_nodes = 20'000;
  Value value;
  try {
    value = read_json(*file, limits);
  } catch (const CompileError&) {
    return 0;
  }
  check(driver::validate_quant_cfg_value(value, "$"));
  check(driver::validate_quantize_config(value, "$"));
  for (SchemaKind schema : kSchemas) check(driver::validate_as(schema, value));
  return 0;
}
