// The Hugging Face naming table (checkpoint/hf_names.h) enumerated, and every consumer checked
// against it: the resolver's inventory derivation (weights, grouped weights, attention modules),
// the runtime's sibling groups, the linter's layer dimensions and the export scale names. A new
// projection or naming rule is one table entry; these tests then say which consumer disagrees.
#include "checkpoint/hf_names.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "lint/rules/model_dims.h"
#include "resolver/checkpoint_inventory.h"
#include "runtime/prepare.h"

namespace qcfg::test {
namespace {

checkpoint::TensorInfo tensor(const std::string& name, std::vector<int64_t> shape) {
  checkpoint::TensorInfo t;
  t.name = name;
  t.dtype = "BF16";
  t.shape = std::move(shape);
  t.nbytes = 2;
  for (int64_t d : t.shape) t.nbytes *= static_cast<uint64_t>(d);
  t.file = "model.safetensors";
  return t;
}

resolver::Inventory derive(std::vector<checkpoint::TensorInfo> tensors) {
  checkpoint::CheckpointConfig config;
  config.architecture = "LlamaForCausalLM";
  return resolver::inventory_from_tensors(std::move(tensors), config, "test");
}

bool has_quantizer(const resolver::Inventory& inv, const std::string& name) {
  for (const auto& q : inv.quantizers)
    if (q.name == name) return true;
  return false;
}

std::string group_name(checkpoint::SiblingGroup g) {
  switch (g) {
    case checkpoint::SiblingGroup::qkv:
      return "qkv";
    case checkpoint::SiblingGroup::gate_up:
      return "gate_up";
    case checkpoint::SiblingGroup::w1_w3:
      return "w1_w3";
    case checkpoint::SiblingGroup::none:
      break;
  }
  return "";
}

}  // namespace

TEST_CASE("the projection table: one entry per leaf, shared NVFP4 amax only inside a group") {
  std::set<std::string_view> leaves;
  for (const checkpoint::ProjectionName& p : checkpoint::projection_names()) {
    CAPTURE(p.leaf);
    CHECK(leaves.insert(p.leaf).second);
    CHECK(checkpoint::projection(p.leaf) == &p);
    if (p.shares_static_nvfp4_amax) CHECK(p.group != checkpoint::SiblingGroup::none);
  }
  CHECK(checkpoint::projection("o_proj") == nullptr);
  // BERT's q/k/v group as Llama's do (runtime/prepare.cpp had them, the inventory did not).
  CHECK(checkpoint::projection("query")->group == checkpoint::SiblingGroup::qkv);
}

TEST_CASE("every projection: the runtime's sibling group is the table's") {
  for (const checkpoint::ProjectionName& p : checkpoint::projection_names()) {
    const std::string module = "model.layers.0.self_attn." + std::string(p.leaf);
    CAPTURE(module);
    const std::string want = p.group == checkpoint::SiblingGroup::none
                                 ? ""
                                 : "model.layers.0.self_attn." + group_name(p.group);
    CHECK(checkpoint::sibling_group_key(module) == want);
    runtime::WorkUnit u;
    u.kind = runtime::WorkUnit::Kind::shared;
    u.tensors.push_back({nullptr, module, "weight"});
    CHECK(runtime::sibling_group_key(u) == want);
    u.tensors[0].param = "weight0";  // grouped weights are never unified with siblings
    CHECK(runtime::sibling_group_key(u).empty());
  }
}

TEST_CASE("every projection: the inventory adds attention BMM quantizers exactly for inputs") {
  for (const checkpoint::ProjectionName& p : checkpoint::projection_names()) {
    const std::string module = "model.layers.0.self_attn." + std::string(p.leaf);
    CAPTURE(module);
    const resolver::Inventory inv = derive({tensor(module + ".weight", {8, 8})});
    CHECK(has_quantizer(inv, module + ".weight_quantizer"));
    CHECK(has_quantizer(inv, "model.layers.0.self_attn.k_bmm_quantizer") == p.attention_input);
  }
}

TEST_CASE("weight parameters: `weight` and grouped `weightN`, as the inventory groups them") {
  CHECK(checkpoint::is_weight_param("weight"));
  CHECK(checkpoint::grouped_weight_index("weight") == std::nullopt);
  CHECK(checkpoint::grouped_weight_index("weight12") == 12);
  CHECK(checkpoint::grouped_weight_index("weightx") == std::nullopt);
  CHECK(checkpoint::grouped_weight_index("weight1234567890") == std::nullopt);  // not an index
  CHECK_FALSE(checkpoint::is_weight_param("bias"));
  const resolver::Inventory inv =
      derive({tensor("m.fc.weight0", {4, 8}), tensor("m.fc.weight1", {4, 8})});
  REQUIRE(has_quantizer(inv, "m.fc.weight_quantizer"));
  for (const auto& q : inv.quantizers)
    if (q.name == "m.fc.weight_quantizer") CHECK(q.tensors.size() == 2);
}

TEST_CASE("weight quantizer names: both forms, their input quantizer and module") {
  struct Case {
    std::string name, input, module, first;  // first: the weight quantizer input's look up
  };
  const Case cases[] = {
      {"m.q_proj.weight_quantizer", "m.q_proj.input_quantizer", "m.q_proj",
       "m.q_proj.weight_quantizer"},
      {"m.experts.gate_up_proj_weight_quantizers.3", "m.experts.gate_up_proj_input_quantizer",
       "m.experts.gate_up_proj", "m.experts.gate_up_proj_weight_quantizers.0"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(checkpoint::is_weight_quantizer_name(c.name));
    CHECK(checkpoint::input_quantizer_for(c.name) == c.input);
    CHECK(checkpoint::module_of_weight_quantizer(c.name) == c.module);
    const std::vector<std::string> back = checkpoint::weight_quantizers_for_input(c.input);
    CHECK(std::find(back.begin(), back.end(), c.first) != back.end());
  }
  for (const char* other : {"m.q_proj.input_quantizer", "m.weight_quantizers.3",
                            "m.p_weight_quantizers.x", "m.p_weight_quantizers.1234567890"}) {
    CAPTURE(other);
    CHECK_FALSE(checkpoint::is_weight_quantizer_name(other));
    CHECK(checkpoint::input_quantizer_for(other).empty());
  }
}

TEST_CASE("the linter finds an input quantizer's dimensions through the table's weight names") {
  const resolver::Inventory inv = derive({tensor("model.layers.0.mlp.down_proj.weight", {8, 32})});
  const lint::LayerDims dims(inv);
  for (size_t i = 0; i < inv.quantizers.size(); ++i)
    if (inv.quantizers[i].name == "model.layers.0.mlp.down_proj.input_quantizer")
      CHECK(dims.last_dim(i) == 32);
}

TEST_CASE("exported scale names, KV-cache scale names") {
  CHECK(checkpoint::scale_name("m.fc", "weight", "_scale") == "m.fc.weight_scale");
  CHECK(checkpoint::scale_name("m.fc", "weight3", "_scale_2") == "m.fc.weight3_scale_2");
  CHECK(checkpoint::scale_name("m.experts", "gate_up_proj", "_scale") ==
        "m.experts.gate_up_proj_weight_scale");
  CHECK(checkpoint::input_scale_name("m.fc", "weight") == "m.fc.input_scale");
  CHECK(checkpoint::input_scale_name("m.experts", "down_proj") ==
        "m.experts.down_proj_input_scale");
  const checkpoint::KvScaleName k = checkpoint::kv_scale_name("m.self_attn.", true);
  CHECK(k.scale == "m.self_attn.k_proj.k_scale");
  CHECK(k.weight == "m.self_attn.k_proj.weight");
  CHECK(checkpoint::kv_scale_name("m.self_attn.", false).scale == "m.self_attn.v_proj.v_scale");
}

}  // namespace qcfg::test
