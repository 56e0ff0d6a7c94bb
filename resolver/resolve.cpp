#include "resolver/resolve.h"

#include <fmt/format.h>

#include <string>
#include <unordered_map>
#include <unordered_set>

#include "resolver/attributes.h"
#include "resolver/fnmatch.h"
#include "resolver/names.h"

namespace qcfg::resolver {
namespace {

// One entry, prepared once: its pattern and the attribute mappings quantizers will point to.
struct CompiledEntry {
  const QuantizerEntry* entry = nullptr;
  GlobPattern pattern;
  std::vector<const Value*> items;  // one per cfg item (single cfg: one); empty: enable-only
  bool is_list = false;
  bool enable = true;
  const std::string* parent_filter = nullptr;  // non-empty parent_class, else null
  bool calibrator_not_constructible = false;

  CompiledEntry(const QuantizerEntry& e) : entry(&e), pattern(e.quantizer_name) {}
  bool has_cfg() const { return entry->cfg_kind != CfgKind::None; }
};

// ModelOpt calls a non-string calibrator as a constructor; from a config file that always fails.
bool calibrator_not_constructible(const Value& cfg_item) {
  const Value* c = cfg_item.find("calibrator");
  return c != nullptr && !c->is_string() && !c->is_null();
}

// Per-name data computed once per inventory.
struct NameIndex {
  std::vector<std::string> normalized;  // empty when equal to the name
  std::vector<uint32_t> shape_of;
  std::vector<std::pair<std::string, std::string>> shapes;  // raw shape, normalized shape
  std::vector<bool> shape_has_normalized;
};

NameIndex index_names(const Inventory& inv) {
  NameIndex ix;
  const size_t n = inv.quantizers.size();
  ix.normalized.resize(n);
  ix.shape_of.resize(n);
  std::unordered_map<std::string, uint32_t> ids;
  std::string key;
  for (size_t i = 0; i < n; ++i) {
    const std::string& name = inv.quantizers[i].name;
    std::string norm = normalize_fused_experts_name(name);
    key = name_shape(name);
    key += '\0';
    const bool has_norm = norm != name;
    if (has_norm) key += name_shape(norm);
    auto [it, fresh] = ids.emplace(key, static_cast<uint32_t>(ix.shapes.size()));
    if (fresh) {
      ix.shapes.emplace_back(name_shape(name), has_norm ? name_shape(norm) : std::string());
      ix.shape_has_normalized.push_back(has_norm);
    }
    ix.shape_of[i] = it->second;
    if (has_norm) ix.normalized[i] = std::move(norm);
  }
  return ix;
}

class Resolver {
 public:
  Resolver(const Inventory& inv, const std::vector<QuantizerEntry>& entries,
           const ResolveOptions& options, Resolution& out)
      : inv_(inv), entries_(entries), options_(options), out_(out) {
    for (const std::string& k : accepted_registry_keys(inv)) registry_.insert(k);
  }

  void run() {
    out_.pool = std::make_unique<std::deque<Value>>();
    index_ = index_names(inv_);
    out_.stats.shapes = index_.shapes.size();
    init_quantizers();
    for (size_t e = 0; e < entries_.size(); ++e) {
      if (!apply_entry(static_cast<uint32_t>(e))) return;
      out_.entries_applied = e + 1;
    }
  }

 private:
  const Value* keep(Value v) {
    out_.pool->push_back(std::move(v));
    return &out_.pool->back();
  }

  void init_quantizers() {
    const Value* defaults = keep(default_attributes());
    Value axis0 = default_attributes();
    axis0.set("axis", Value::integer(0));
    const Value* per_channel = keep(std::move(axis0));
    out_.quantizers.resize(inv_.quantizers.size());
    for (size_t i = 0; i < inv_.quantizers.size(); ++i) {
      const InventoryQuantizer& q = inv_.quantizers[i];
      const InitialFlags f = initial_flags(q, options_.initial);
      ResolvedQuantizer& r = out_.quantizers[i];
      r.initial_attributes = q.initial ? keep(attributes_with(*q.initial))
                                       : (f.weight_axis0 ? per_channel : defaults);
      r.initial_enabled = f.enabled;
      r.node.attributes = r.initial_attributes;
      r.node.disabled = !f.enabled;
      r.node.hard_disabled = f.hard_disabled;
    }
  }

  CompiledEntry compile(uint32_t index) {
    const QuantizerEntry& e = entries_[index];
    CompiledEntry ce(e);
    ce.enable = e.enable;
    if (e.parent_class && !e.parent_class->empty()) ce.parent_filter = &*e.parent_class;
    if (e.cfg_kind == CfgKind::Single) {
      ce.items.push_back(keep(stored_attributes(e.cfg_full)));
      ce.calibrator_not_constructible = calibrator_not_constructible(e.cfg_full);
    } else if (e.cfg_kind == CfgKind::Sequential) {
      ce.is_list = true;
      for (const Value& item : e.cfg_full.items()) {
        ce.items.push_back(keep(stored_attributes(item)));
        ce.calibrator_not_constructible |= calibrator_not_constructible(item);
      }
    }
    return ce;
  }

  bool check_parent_class(const CompiledEntry& ce) {
    if (ce.parent_filter == nullptr || registry_.count(*ce.parent_filter)) return true;
    out_.diagnostics.error(
        ce.entry->loc,
        fmt::format("parent_class '{}' not found in QuantModuleRegistry. Make sure the class has "
                    "a registered quantized equivalent.",
                    *ce.parent_filter),
        "parent-class-unknown");
    return false;
  }

  // Which inventory names the pattern matches: per shape when the pattern is digit-blind.
  std::vector<char> match_names(const CompiledEntry& ce) {
    const size_t n = inv_.quantizers.size();
    std::vector<char> hit(n, 0);
    const GlobPattern& p = ce.pattern;
    if (!options_.naive_matching && !p.distinguishes_digits()) {
      std::vector<char> shape_hit(index_.shapes.size());
      for (size_t s = 0; s < index_.shapes.size(); ++s) {
        const auto& [raw, norm] = index_.shapes[s];
        shape_hit[s] = p.matches(raw) || (index_.shape_has_normalized[s] && p.matches(norm));
        out_.stats.shape_matches++;
      }
      for (size_t i = 0; i < n; ++i) hit[i] = shape_hit[index_.shape_of[i]];
      return hit;
    }
    for (size_t i = 0; i < n; ++i) {
      const std::string& norm = index_.normalized[i];
      hit[i] = p.matches(inv_.quantizers[i].name) || (!norm.empty() && p.matches(norm));
      out_.stats.name_matches++;
    }
    return hit;
  }

  bool apply_entry(uint32_t index) {
    const CompiledEntry ce = compile(index);
    if (!check_parent_class(ce)) return false;
    const std::vector<char> hit = match_names(ce);
    mismatch_count_ = 0;
    for (size_t i = 0; i < inv_.quantizers.size(); ++i) {
      ResolvedQuantizer& r = out_.quantizers[i];
      const bool matched = hit[i] && parent_passes(ce, inv_.quantizers[i]);
      if (!matched && !r.node.sequential) continue;
      if (matched && ce.has_cfg() && ce.calibrator_not_constructible) {
        report_calibrator(ce);
        return false;
      }
      if (matched) r.matched_entries.push_back(index);
      const bool visit_children = matched ? act(r.node, ce, index) : true;
      if (visit_children && r.node.sequential)
        visit_sequential_children(r.node, inv_.quantizers[i].name, ce, index);
    }
    if (mismatch_count_ > 0) report_length_mismatch(ce);
    return true;
  }

  static bool parent_passes(const CompiledEntry& ce, const InventoryQuantizer& q) {
    return ce.parent_filter == nullptr || (q.parent_class && *q.parent_class == *ce.parent_filter);
  }

  // A pre-order visit of an SQ's children, as named_modules() continues into them. Children's
  // parent is the SQ, so a parent_class entry never matches them.
  void visit_sequential_children(QuantizerNode& sq, const std::string& name,
                                 const CompiledEntry& ce, uint32_t index) {
    for (size_t k = 0; k < sq.children.size(); ++k) {
      const std::string child_name = name + "." + std::to_string(k);
      QuantizerNode& child = sq.children[k];
      bool matched = false;
      if (ce.parent_filter == nullptr) {
        const std::string norm = normalize_fused_experts_name(child_name);
        matched = ce.pattern.matches(child_name) ||
                  (norm != child_name && ce.pattern.matches(norm));
        out_.stats.name_matches++;
      }
      const bool go_on = matched ? act(child, ce, index) : child.sequential;
      if (go_on && child.sequential) visit_sequential_children(child, child_name, ce, index);
    }
  }

  // Applies the entry to a matched module. Returns whether the traversal continues into the
  // same module's children (true only for an SQ that was kept).
  bool act(QuantizerNode& node, const CompiledEntry& ce, uint32_t index) {
    if (!ce.has_cfg()) {
      if (!node.sequential) {
        set_enable(node, ce.enable, index);
        return false;
      }
      broadcast_enable(node, ce.enable, index);
      return true;
    }
    if (!ce.is_list) {
      if (node.sequential) node = QuantizerNode{};  // downgraded to a new TQ
      set_full(node, ce.items[0], ce.enable, index);
      return false;
    }
    if (!node.sequential) {  // replaced by a new SQ; its children are not visited in this pass
      QuantizerNode sq;
      sq.sequential = true;
      sq.children.resize(ce.items.size());
      for (size_t k = 0; k < ce.items.size(); ++k)
        set_full(sq.children[k], ce.items[k], ce.enable, index);
      sq.last_cfg_entry = sq.last_enable_entry = static_cast<int32_t>(index);
      node = std::move(sq);
      return false;
    }
    if (ce.items.size() != node.children.size()) ++mismatch_count_;
    const size_t n = std::min(ce.items.size(), node.children.size());
    for (size_t k = 0; k < n; ++k) set_full_any(node.children[k], ce.items[k], ce.enable, index);
    node.last_cfg_entry = node.last_enable_entry = static_cast<int32_t>(index);
    return true;
  }

  static void set_full(QuantizerNode& tq, const Value* attrs, bool enable, uint32_t index) {
    tq.attributes = attrs;
    tq.disabled = !enable || tq.hard_disabled;
    tq.last_cfg_entry = tq.last_enable_entry = static_cast<int32_t>(index);
  }

  // SequentialQuantizer.set_from_attribute_config with one mapping broadcasts it.
  static void set_full_any(QuantizerNode& node, const Value* attrs, bool enable, uint32_t index) {
    if (node.sequential) {
      for (QuantizerNode& c : node.children) set_full_any(c, attrs, enable, index);
      node.last_cfg_entry = node.last_enable_entry = static_cast<int32_t>(index);
    } else {
      set_full(node, attrs, enable, index);
    }
  }

  // `{"enable": v}` on a TQ; exactly `{"enable": False}` also turns rotation off for good.
  void set_enable(QuantizerNode& tq, bool enable, uint32_t index) {
    if (!enable) tq.attributes = rotation_disabled(tq.attributes);
    tq.disabled = !enable || tq.hard_disabled;
    tq.last_enable_entry = static_cast<int32_t>(index);
  }

  void broadcast_enable(QuantizerNode& sq, bool enable, uint32_t index) {
    for (QuantizerNode& c : sq.children) {
      if (c.sequential) {
        broadcast_enable(c, enable, index);
      } else {
        set_enable(c, enable, index);
      }
    }
    sq.last_enable_entry = static_cast<int32_t>(index);
  }

  const Value* rotation_disabled(const Value* attrs) {
    auto it = rotate_off_.find(attrs);
    if (it != rotate_off_.end()) return it->second;
    Value copy = *attrs;
    const Value* result = disable_rotate(copy) ? keep(std::move(copy)) : attrs;
    rotate_off_.emplace(attrs, result);
    rotate_off_.emplace(result, result);
    return result;
  }

  void report_calibrator(const CompiledEntry& ce) {
    const QuantizerEntry& e = *ce.entry;
    out_.diagnostics.error(e.cfg_loc.known() ? e.cfg_loc : e.loc,
                           "`calibrator` is not a calibrator name; ModelOpt calls it as a "
                           "constructor when the entry is applied and fails (TypeError)",
                           "calibrator-not-constructible");
  }

  void report_length_mismatch(const CompiledEntry& ce) {
    out_.diagnostics.warning(
        ce.entry->loc,
        fmt::format("The number of attributes ({}) does not match the number of quantizers of "
                    "{} SequentialQuantizer(s) leading to partial assignment.",
                    ce.items.size(), mismatch_count_),
        "sequential-length-mismatch");
  }

  const Inventory& inv_;
  const std::vector<QuantizerEntry>& entries_;
  const ResolveOptions& options_;
  Resolution& out_;
  NameIndex index_;
  std::unordered_set<std::string> registry_;
  std::unordered_map<const Value*, const Value*> rotate_off_;
  size_t mismatch_count_ = 0;
};

}  // namespace

std::vector<std::string> accepted_registry_keys(const Inventory& inv) {
  std::vector<std::string> keys = builtin_registry_keys();
  std::unordered_set<std::string> seen(keys.begin(), keys.end());
  auto add = [&](const std::string& k) {
    if (!k.empty() && seen.insert(k).second) keys.push_back(k);
  };
  for (const InventoryQuantizer& q : inv.quantizers)
    if (q.parent_class) add(*q.parent_class);
  for (const InventoryModule& m : inv.modules) add(m.class_key);
  for (const std::string& k : inv.registry_keys) add(k);
  return keys;
}

Resolution resolve(const Inventory& inventory, const std::vector<QuantizerEntry>& entries,
                   const ResolveOptions& options) {
  Resolution out;
  out.inventory = &inventory;
  out.entries = &entries;
  Resolver(inventory, entries, options, out).run();
  return out;
}

}  // namespace qcfg::resolver
