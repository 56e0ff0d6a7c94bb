// Fuzz target: the safetensors header reader, the sharded-checkpoint index reader, the JSON
// inventory reader, and the derivation of quantizer names from the tensors a header lists.
// One input is used as all three (a file, an index text, an inventory text): each reader must
// reject what is not its format with an InventoryError and nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "resolver/checkpoint_inventory.h"
#include "resolver/inventory.h"

namespace {

using namespace qcfg::resolver;
using namespace qcfg::checkpoint;

void derive_inventory(std::vector<TensorInfo> tensors) {
  CheckpointConfig config;
  config.architecture = "LlamaForCausalLM";
  config.vocab_size = 8;
  const Inventory inv = inventory_from_tensors(std::move(tensors), config, "fuzz");
  (void)inventory_to_value(inv);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    derive_inventory(parse_safetensors_bytes("model.safetensors", bytes).tensors);
  } catch (const InventoryError&) {
  }
  try {
    (void)parse_safetensors_index("model.safetensors.index.json", bytes);
  } catch (const InventoryError&) {
  }
  try {
    (void)inventory_to_value(inventory_from_json_text(bytes, "inventory.json"));
  } catch (const InventoryError&) {
  }
  return 0;
}
