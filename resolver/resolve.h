// Applying a validated quant_cfg (schema/entry.h) to a quantizer inventory with ModelOpt's
// `set_quantizer_by_cfg` semantics (shared/spec/quant_cfg.md §7): entries in order, fnmatch on the
// raw and the fused-experts-normalized name, immediate-parent `parent_class` filter, full
// replacement vs enable-only, SequentialQuantizer creation / downgrade / nesting, hard-disabled
// quantizers, permanent rotation disable, MX pass_through_bwd forcing. Records provenance per
// quantizer.
//
// Matching is done once per name shape (digit runs abstracted, names.h) for patterns that cannot
// tell digits apart, and per name otherwise.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "compiler/diagnostic.h"
#include "resolver/inventory.h"
#include "schema/entry.h"

namespace qcfg::resolver {

// A TensorQuantizer, or a SequentialQuantizer (children named `<name>.0`, `<name>.1`, ...).
struct QuantizerNode {
  bool sequential = false;
  bool disabled = false;                // TQ only
  bool hard_disabled = false;           // TQ only (nn.Embedding input quantizer)
  const Value* attributes = nullptr;    // TQ only: full mapping without `enable` (attributes.h)
  int32_t last_cfg_entry = -1;          // last entry that fully set this object; -1: none
  int32_t last_enable_entry = -1;       // last entry whose attributes contained `enable`
  std::vector<QuantizerNode> children;  // SQ only

  bool enabled() const { return !disabled; }
};

struct ResolvedQuantizer {
  QuantizerNode node;  // final state
  const Value* initial_attributes = nullptr;
  bool initial_enabled = true;
};

// Which inventory quantizers one applied entry matched (pattern on the name and parent filter),
// kept per shape or per name instead of per quantizer so that recording it costs nothing.
struct EntryMatch {
  bool by_shape = true;
  std::vector<char> shape_hit;      // by_shape: per shape id
  std::vector<uint64_t> name_bits;  // otherwise: one bit per quantizer
  const std::string* parent_filter = nullptr;
  uint32_t parent_filter_id = 0;  // Resolution::parent_of's id of *parent_filter (kNoParent: none)
};

struct ResolveOptions {
  InitialMode initial = InitialMode::ModelOpt;
  // Match every pattern against every name (the O(entries x quantizers) loop ModelOpt runs);
  // for benchmarks and cross-checks.
  bool naive_matching = false;
};

struct ResolveStats {
  size_t shapes = 0;         // distinct name shapes
  size_t shape_matches = 0;  // fnmatch calls on shapes
  size_t name_matches = 0;   // fnmatch calls on concrete names
};

struct Resolution {
  const Inventory* inventory = nullptr;
  const std::vector<QuantizerEntry>* entries = nullptr;
  std::vector<ResolvedQuantizer> quantizers;  // inventory order
  // Warnings (sequential length mismatch) and the error that stopped resolution (unknown
  // parent_class, calibrator that cannot be constructed), located at the entry.
  Diagnostics diagnostics;
  size_t entries_applied = 0;  // entries fully applied (all of them unless an error stopped it)
  ResolveStats stats;
  std::unique_ptr<std::deque<Value>> pool;  // the attribute mappings nodes point to
  std::vector<uint32_t> shape_of;           // quantizer -> name shape id
  // quantizer -> id of its parent_class (equal ids: equal classes), kNoParent for null: the
  // parent filter of every entry is checked against it without touching the inventory.
  std::vector<uint32_t> parent_of;
  static constexpr uint32_t kNoParent = 0;
  std::vector<EntryMatch> matches;  // per applied entry

  bool ok() const { return !diagnostics.has_errors(); }
};

// The inventory and entries must outlive the result.
Resolution resolve(const Inventory& inventory, const std::vector<QuantizerEntry>& entries,
                   const ResolveOptions& options = {});
// The result points into both: temporaries would dangle.
Resolution resolve(Inventory&&, const std::vector<QuantizerEntry>&,
                   const ResolveOptions& = {}) = delete;
Resolution resolve(const Inventory&, std::vector<QuantizerEntry>&&,
                   const ResolveOptions& = {}) = delete;

// Entries (indices, in order) that matched quantizer `i`'s name and parent filter.
std::vector<uint32_t> matched_entries(const Resolution& r, size_t i);
// The same into `out` (cleared first): no allocation per quantizer when called for all of them.
void matched_entries(const Resolution& r, size_t i, std::vector<uint32_t>& out);

// Registry keys accepted as `parent_class`: ModelOpt's built-in keys plus every key the inventory
// mentions (quantizer parents, modules, registry_keys).
std::vector<std::string> accepted_registry_keys(const Inventory& inventory);

}  // namespace qcfg::resolver
