// A model's quantizer inventory: every TensorQuantizer ModelOpt would insert, in traversal order,
// with the registry key of its immediate parent module. Read from qcfg's JSON inventory format
// (contract.md §2) or derived from a Hugging Face safetensors checkpoint (safetensors.h).
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "compiler/value.h"
#include "resolver/expert_layout.h"

namespace qcfg::resolver {

// A problem with an inventory or checkpoint: where (the file, or file:line:col at the byte of a
// header at fault) and what. what() is "WHERE: MESSAGE"; the CLI prints
// "WHERE: error: MESSAGE [inventory]" like every other diagnostic.
class InventoryError : public std::runtime_error {
 public:
  InventoryError(std::string where, std::string message)
      : std::runtime_error(where.empty() ? message : where + ": " + message),
        where_(std::move(where)),
        message_(std::move(message)) {}
  explicit InventoryError(std::string message)
      : InventoryError(std::string(), std::move(message)) {}

  const std::string& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  std::string where_;
  std::string message_;
};

// One weight tensor a quantizer reads (checkpoint-derived inventories only).
struct TensorInfo {
  std::string name;   // tensor name in the checkpoint
  std::string dtype;  // safetensors dtype ("BF16", "F8_E4M3", ...)
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;
  std::string file;  // shard file name
  // For a fused expert tensor split per expert (`experts.gate_up_proj` [E, ...]): the expert
  // index this quantizer reads, else -1 (nbytes is then that expert's share).
  int64_t expert_slice = -1;
  // For a per-expert weight read by a fused-layout quantizer (expert_layout.h): its row block in
  // the fused parameter (gate_proj 0, up_proj 1 of gate_up_proj; down_proj 0), else -1. The
  // quantizer sees the blocks concatenated along dim 0.
  int fused_part = -1;
};

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
  // replaces by a router class (resolver/expert_layout.h); an export lists them as unquantized.
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
  ModelOpt,  // QuantModule._setup states (quant_cfg.md §7.9), inventory fields override
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
