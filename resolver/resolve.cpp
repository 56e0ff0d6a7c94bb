#include "resolver/resolve.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "checkpoint/name_hash.h"
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
  std::vector<std::vector<uint32_t>> members;  // quantizers of each shape, in inventory order
  std::vector<uint32_t> parent_of;             // Resolution::parent_of
  std::unordered_map<std::string_view, uint32_t> parent_ids;
};

// The fused-experts rewrite needs "quantizer." or "quantizers." somewhere in the name.
bool may_normalize(std::string_view name) {
  for (size_t p = name.find("quantizer"); p != std::string_view::npos;
       p = name.find("quantizer", p + 1)) {
    size_t q = p + 9;
    if (q < name.size() && name[q] == 's') ++q;
    if (q < name.size() && name[q] == '.') return true;
  }
  return false;
}

NameIndex index_names(const Inventory& inv) {
  NameIndex ix;
  const size_t n = inv.quantizers.size();
  ix.normalized.resize(n);
  ix.shape_of.resize(n);
  ix.parent_of.resize(n);
  // Hashed 8 bytes at a time (checkpoint/name_hash.h): std::hash was a sixth of this loop.
  std::unordered_map<std::string, uint32_t, checkpoint::NameHash> ids;
  std::string key;
  const std::string* previous_parent = nullptr;  // neighbours mostly share their parent
  uint32_t previous_id = 0;
  for (size_t i = 0; i < n; ++i) {
    const std::string& name = inv.quantizers[i].name;
    if (const auto& parent = inv.quantizers[i].parent_class) {
      if (previous_parent == nullptr || *previous_parent != *parent) {
        previous_id =
            ix.parent_ids.try_emplace(*parent, static_cast<uint32_t>(ix.parent_ids.size() + 1))
                .first->second;
        previous_parent = &*parent;
      }
      ix.parent_of[i] = previous_id;
    }
    std::string norm;
    if (may_normalize(name)) {
      norm = normalize_fused_experts_name(name);
      if (norm == name) norm.clear();
    }
    key.clear();
    append_name_shape(key, name);
    const size_t raw_len = key.size();
    key += '\0';
    append_name_shape(key, norm);
    auto it = ids.find(key);
    if (it == ids.end()) {
      it = ids.emplace(key, static_cast<uint32_t>(ix.shapes.size())).first;
      ix.shapes.emplace_back(key.substr(0, raw_len), key.substr(raw_len + 1));
      ix.shape_has_normalized.push_back(!norm.empty());
      ix.members.emplace_back();
    }
    ix.shape_of[i] = it->second;
    ix.members[it->second].push_back(static_cast<uint32_t>(i));
    ix.normalized[i] = std::move(norm);
  }
  return ix;
}

// An entry's parent filter that names a class no quantizer has (kept valid by
// check_parent_class: the key is in the registry, just not a parent here).
constexpr uint32_t kNoQuantizerHasIt = UINT32_MAX;

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
    out_.shape_of = index_.shape_of;
    out_.parent_of = index_.parent_of;
    visited_.assign(inv_.quantizers.size(), 0);
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
      r.initial_attributes =
          q.initial ? keep(attributes_with(*q.initial)) : (f.weight_axis0 ? per_channel : defaults);
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
  EntryMatch match_names(const CompiledEntry& ce) {
    EntryMatch m;
    m.parent_filter = ce.parent_filter;
    if (ce.parent_filter) {
      const auto it = index_.parent_ids.find(*ce.parent_filter);
      m.parent_filter_id = it == index_.parent_ids.end() ? kNoQuantizerHasIt : it->second;
    }
    const GlobPattern& p = ce.pattern;
    if (!options_.naive_matching && !p.distinguishes_digits()) {
      m.shape_hit.resize(index_.shapes.size());
      for (size_t s = 0; s < index_.shapes.size(); ++s) {
        const auto& [raw, norm] = index_.shapes[s];
        m.shape_hit[s] = p.matches(raw) || (index_.shape_has_normalized[s] && p.matches(norm));
        out_.stats.shape_matches++;
      }
      return m;
    }
    m.by_shape = false;
    const size_t n = inv_.quantizers.size();
    m.name_bits.assign((n + 63) / 64, 0);
    // `*L*`: only names whose shape (or normalized shape) contains L's shape can match, which
    // is decided once per shape (a few hundred) instead of by a search of every name.
    std::vector<char> may_match;
    if (const std::string* literal = p.literal_between_stars();
        literal && !options_.naive_matching) {
      const std::string needle = name_shape(*literal);
      may_match.resize(index_.shapes.size());
      for (size_t s = 0; s < index_.shapes.size(); ++s) {
        const auto& [raw, norm] = index_.shapes[s];
        may_match[s] = raw.find(needle) != std::string::npos ||
                       (index_.shape_has_normalized[s] && norm.find(needle) != std::string::npos);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (!may_match.empty() && !may_match[index_.shape_of[i]]) continue;
      const std::string& norm = index_.normalized[i];
      if (p.matches(inv_.quantizers[i].name) || (!norm.empty() && p.matches(norm)))
        m.name_bits[i / 64] |= uint64_t{1} << (i % 64);
      out_.stats.name_matches++;
    }
    return m;
  }

  // Applies the entry to one inventory quantizer (matched or not: an SQ's children are visited
  // either way).
  bool apply_to(uint32_t i, bool matched, const CompiledEntry& ce, uint32_t index) {
    ResolvedQuantizer& r = out_.quantizers[i];
    if (!matched && !r.node.sequential) return true;
    if (matched && ce.has_cfg() && ce.calibrator_not_constructible) {
      report_calibrator(ce);
      return false;
    }
    const bool was_sequential = r.node.sequential;
    const bool visit_children = matched ? act(r.node, ce, index) : true;
    if (visit_children && r.node.sequential)
      visit_sequential_children(r.node, inv_.quantizers[i].name, ce, index);
    if (r.node.sequential && !was_sequential) sequential_.push_back(i);
    return true;
  }

  bool apply_entry(uint32_t index) {
    const CompiledEntry ce = compile(index);
    if (!check_parent_class(ce)) return false;
    EntryMatch m = match_names(ce);
    mismatch_count_ = 0;
    // SQ roots are visited whether or not they match (their children may); done first so the
    // loop below skips them. Quantizers never couple, so the order across them is free.
    const std::vector<uint32_t> sequential = std::move(sequential_);
    sequential_.clear();
    for (uint32_t i : sequential) {
      visited_[i] = index + 1;
      if (!apply_to(i, hit(m, i), ce, index)) return false;
      if (out_.quantizers[i].node.sequential) sequential_.push_back(i);
    }
    auto apply_plain = [&](uint32_t i) {
      return visited_[i] == index + 1 || apply_to(i, true, ce, index);
    };
    if (m.by_shape) {
      for (size_t s = 0; s < m.shape_hit.size(); ++s) {
        if (!m.shape_hit[s]) continue;
        for (uint32_t i : index_.members[s])
          if (parent_passes(m, i) && !apply_plain(i)) return false;
      }
    } else {
      for (size_t w = 0; w < m.name_bits.size(); ++w) {
        for (uint64_t bits = m.name_bits[w]; bits; bits &= bits - 1) {
          const auto i = static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(bits)));
          if (parent_passes(m, i) && !apply_plain(i)) return false;
        }
      }
    }
    if (mismatch_count_ > 0) report_length_mismatch(ce);
    out_.matches.push_back(std::move(m));
    return true;
  }

  bool hit(const EntryMatch& m, uint32_t i) const {
    const bool name_hit = m.by_shape ? m.shape_hit[index_.shape_of[i]] != 0
                                     : ((m.name_bits[i / 64] >> (i % 64)) & 1) != 0;
    return name_hit && parent_passes(m, i);
  }

  bool parent_passes(const EntryMatch& m, uint32_t i) const {
    return m.parent_filter == nullptr || index_.parent_of[i] == m.parent_filter_id;
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
        matched =
            ce.pattern.matches(child_name) || (norm != child_name && ce.pattern.matches(norm));
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
    if (attrs == last_rotate_in_) return last_rotate_out_;
    last_rotate_in_ = attrs;
    last_rotate_out_ = rotation_disabled_lookup(attrs);
    return last_rotate_out_;
  }

  const Value* rotation_disabled_lookup(const Value* attrs) {
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
  std::vector<uint32_t> sequential_;  // quantizers that are SQs now
  std::vector<uint32_t> visited_;     // entry index + 1 when already visited for that entry
  const Value* last_rotate_in_ = nullptr;
  const Value* last_rotate_out_ = nullptr;
};

}  // namespace

void matched_entries(const Resolution& r, size_t i, std::vector<uint32_t>& out) {
  out.clear();
  const uint32_t shape = r.shape_of[i], parent = r.parent_of[i];
  for (size_t e = 0; e < r.matches.size(); ++e) {
    const EntryMatch& m = r.matches[e];
    const bool name_hit =
        m.by_shape ? m.shape_hit[shape] != 0 : ((m.name_bits[i / 64] >> (i % 64)) & 1) != 0;
    if (name_hit && (m.parent_filter == nullptr || parent == m.parent_filter_id))
      out.push_back(static_cast<uint32_t>(e));
  }
}

std::vector<uint32_t> matched_entries(const Resolution& r, size_t i) {
  std::vector<uint32_t> out;
  matched_entries(r, i, out);
  return out;
}

std::vector<std::string> accepted_registry_keys(const Inventory& inv) {
  std::vector<std::string> keys = builtin_registry_keys();
  std::unordered_set<std::string> seen(keys.begin(), keys.end());
  auto add = [&](const std::string& k) {
    if (!k.empty() && seen.insert(k).second) keys.push_back(k);
  };
  // Neighbours mostly share their parent: a repeat of the previous one is already in `seen`.
  const std::string* previous = nullptr;
  for (const InventoryQuantizer& q : inv.quantizers) {
    if (!q.parent_class || (previous && *previous == *q.parent_class)) continue;
    add(*q.parent_class);
    previous = &*q.parent_class;
  }
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
