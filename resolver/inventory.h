// A model's quantizer inventory: every TensorQuantizer ModelOpt would insert, in traversal order,
// with the registry key of its immediate parent module. Read from qcfg's JSON inventory format
// (shared/spec/contract.md §2) or derived from a Hugging Face safetensors checkpoint
// (checkpoint_inventory.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/expert_layout.h"
#include "checkpoint/safetensors.h"
#include "compiler/value.h"

namespace qcfg::resolver {

// A problem with an inventory or checkpoint: where (the file, or file:line:col at the byte of a
// header at fault) and what; the checkpoint module's error, so that its readers' errors need no
// translation. The CLI prints "WHERE: error: MESSAGE [inventory]" like every other diagnostic.
using InventoryError = checkpoint::LocatedError;

// One weight tensor a quantizer reads (checkpoint-derived inventories only).
using checkpoint::TensorInfo;

// How MoE experts are named (checkpoint/expert_layout.h).
using checkpoint::ExpertLayout;

struct InventoryQuantizer {
  std::string name;
  std::optional<std::string> parent_class;  // registry key of the immediate parent, or null
  std::optional<Value> initial;             // attribute mapping (partial, over QAC defaults)
  std::optional<bool> initial_enabled;
  std::optional<bool> hard_disabled;
  std::vector<TensorInfo> tensors;  // weights this quantizer quantizes
};

struct InventoryModule {
  std::string name;
  std::string class_key;
};

struct Inventory {
  std::vector<InventoryQuantizer> quantizers;
  std::vector<InventoryModule> modules;
  std::vector<std::string> registry_keys;  // extra keys accepted as parent_class
  // Checkpoint modules with a weight but no quantizers: MoE routers that the fused-experts layout
  // replaces by a router class (checkpoint/expert_layout.h); an export lists them as unquantized.
  std::vector<std::string> replaced_routers;
  std::string description;
  std::string origin;  // file or directory it came from (messages)
};

// Parses the JSON inventory format (a list of quantizers or an object with `quantizers`).
Inventory inventory_from_json_text(const std::string& text, const std::string& origin);
Inventory load_inventory_file(const std::string& path);
// A directory (safetensors checkpoint) or a JSON inventory file.
Inventory load_inventory(const std::string& path, ExpertLayout layout = ExpertLayout::automatic);

// The inventory in the JSON format `inventory_from_json_text` reads (plus tensor details).
Value inventory_to_value(const Inventory& inv);

// How quantizers start before any entry is applied.
enum class InitialMode {
  ModelOpt,  // QuantModule._setup states (shared/spec/quant_cfg.md §7.9), inventory fields override
  Defaults,  // every quantizer at QuantizerAttributeConfig() and enabled (`--initial defaults`)
};

struct InitialState {
  Value attributes;  // full mapping without `enable` (attributes.h)
  bool enabled = true;
  bool hard_disabled = false;
};

// The 28 registry keys ModelOpt registers unconditionally.
const std::vector<std::string>& builtin_registry_keys();

// The initial state without building the attribute mapping: `weight_axis0` says whether the
// QAC defaults get `axis: 0`; an explicit inventory `initial` overrides both (use initial_state).
struct InitialFlags {
  bool weight_axis0 = false;
  bool enabled = true;
  bool hard_disabled = false;
};
InitialFlags initial_flags(const InventoryQuantizer& q, InitialMode mode);

InitialState initial_state(const InventoryQuantizer& q, InitialMode mode);

}  // namespace qcfg::resolver
