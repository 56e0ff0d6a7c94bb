// plan_version 2 (docs/plan-format.md): each distinct attribute mapping and each distinct resolved
// state written once, each quantizer a one-line record naming its state. DeepSeek-V3 (135k
// quantizers) has a few dozen states, so the plan is mostly the quantizer names.
#include <algorithm>
#include <charconv>
#include <ostream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "compiler/json_writer.h"
#include "resolver/attributes.h"
#include "resolver/chunked_output.h"
#include "resolver/plan.h"
#include "resolver/plan_internal.h"

namespace qcfg::resolver {
namespace {

constexpr JsonStyle kCompact{-1, true};

std::string index_text(int32_t i) { return i < 0 ? "null" : std::to_string(i); }

std::string list_text(const std::vector<uint32_t>& v) {
  std::string out = "[";
  for (size_t k = 0; k < v.size(); ++k) {
    if (k) out += ", ";
    out += std::to_string(v[k]);
  }
  return out + "]";
}

// The applied entries matched name by name (not by shape), in order.
std::vector<uint32_t> entries_matched_by_name(const Resolution& r) {
  std::vector<uint32_t> out;
  for (size_t e = 0; e < r.matches.size(); ++e)
    if (!r.matches[e].by_shape) out.push_back(static_cast<uint32_t>(e));
  return out;
}

class PlanV2Writer {
 public:
  PlanV2Writer(const Resolution& r, const PlanOptions& o, std::ostream& sink)
      : r_(r), o_(o), sink_(sink) {}

  void write() {
    // First pass: the state of every quantizer, so the tables can precede the records.
    std::vector<uint32_t> state_of(r_.quantizers.size());
    for (size_t i = 0; i < r_.quantizers.size(); ++i) state_of[i] = state_id(i);
    out_ = "{\n  \"plan_version\": 2,\n";
    out_ += "  \"inventory\": " + to_json(Value::string(r_.inventory->origin)) + ",\n";
    out_ += "  \"entries\": " + indented_json(plan_entries_value(r_), 2) + ",\n";
    table("attribute_sets", attribute_text_);
    table("states", state_text_);
    out_ += "  \"quantizers\": [";
    // Neighbours mostly share their parent: its JSON text is kept from one record to the next.
    const std::string* parent = nullptr;
    std::string parent_json = "null";
    for (size_t i = 0; i < r_.quantizers.size(); ++i) {
      const InventoryQuantizer& q = r_.inventory->quantizers[i];
      out_.append(i ? std::string_view(",\n    {\"name\": ")
                    : std::string_view("\n    {\"name\": "));
      append_json_string(out_, q.name);
      out_.append(std::string_view(", \"parent_class\": "));
      const std::string* p = q.parent_class ? &*q.parent_class : nullptr;
      if (p != parent && (p == nullptr || parent == nullptr || *p != *parent)) {
        parent_json.clear();
        if (p)
          append_json_string(parent_json, *p);
        else
          parent_json = "null";
      }
      parent = p;
      out_.append(parent_json);
      out_.append(std::string_view(", \"state\": "));
      char digits[16];
      const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, state_of[i]);
      out_.append(digits, end);
      out_ += '}';
      flush_chunk_if_full(out_, sink_);
    }
    out_ += r_.quantizers.empty() ? "]\n}" : "\n  ]\n}";
    flush_chunk(out_, sink_);
  }

 private:
  void table(const char* key, const std::vector<std::string>& rows) {
    out_ += std::string("  \"") + key + "\": [";
    for (size_t k = 0; k < rows.size(); ++k) out_ += (k ? ",\n    " : "\n    ") + rows[k];
    out_ += rows.empty() ? "],\n" : "\n  ],\n";
  }

  // Index of a distinct attribute mapping; nodes share mappings, so most lookups are by pointer.
  uint32_t attribute_id(const Value* attributes) {
    auto [by_ptr, fresh_ptr] = attribute_of_ptr_.try_emplace(attributes, 0);
    if (!fresh_ptr) return by_ptr->second;
    std::string text = to_json(*attributes, kCompact);
    auto [by_text, fresh_text] =
        attribute_of_text_.try_emplace(text, static_cast<uint32_t>(attribute_text_.size()));
    if (fresh_text) attribute_text_.push_back(std::move(text));
    return by_ptr->second = by_text->second;
  }

  // `enabled` and `attributes` as plan_version 1 writes them, attribute ids for mappings.
  std::string enabled_text(const QuantizerNode& n) {
    if (!n.sequential) return n.enabled() ? "true" : "false";
    std::string out = "[";
    for (size_t k = 0; k < n.children.size(); ++k)
      out += (k ? ", " : "") + enabled_text(n.children[k]);
    return out + "]";
  }

  std::string attributes_text(const QuantizerNode& n) {
    if (!n.sequential) return std::to_string(attribute_id(n.attributes));
    std::string out = "[";
    for (size_t k = 0; k < n.children.size(); ++k)
      out += (k ? ", " : "") + attributes_text(n.children[k]);
    return out + "]";
  }

  // The state of quantizer `i`. Most quantizers share a state with many others, so the text is
  // built only for a state not seen before, found by a binary key of what decides it.
  // The state of quantizer `i`. Most quantizers share a state with many others, so the text is
  // built only for a state not seen before, found by a key of what decides it. matched_of keeps
  // one list per distinct answer (unless entries matched by name are too many), so the list is
  // keyed by its address: two addresses of equal lists only make two keys of one state.
  uint32_t state_id(size_t i) {
    const QuantizerNode& n = r_.quantizers[i].node;
    static const std::vector<uint32_t> kNone;
    const std::vector<uint32_t>& matched = o_.provenance ? matched_of(i) : kNone;
    if (n.sequential) return state_by_text(i, n, matched);
    if (&matched == &matched_) return state_by_content(i, n, matched);
    const StateKey key{n.attributes,        &matched,    n.last_cfg_entry,
                       n.last_enable_entry, n.enabled(), n.hard_disabled};
    auto [it, fresh] = state_of_key_.try_emplace(key, 0);
    if (fresh) it->second = state_by_text(i, n, matched);
    return it->second;
  }

  // The same keyed by the list's entries (matched_ is reused from quantizer to quantizer).
  uint32_t state_by_content(size_t i, const QuantizerNode& n,
                            const std::vector<uint32_t>& matched) {
    key_.clear();
    const auto put = [&](const void* p, size_t size) {
      key_.append(static_cast<const char*>(p), size);
    };
    put(&n.attributes, sizeof n.attributes);
    const char flags[2] = {static_cast<char>(n.enabled()), static_cast<char>(n.hard_disabled)};
    put(flags, 2);
    put(&n.last_cfg_entry, sizeof n.last_cfg_entry);
    put(&n.last_enable_entry, sizeof n.last_enable_entry);
    if (!matched.empty()) put(matched.data(), matched.size() * sizeof matched[0]);
    auto [it, fresh] = state_of_content_.try_emplace(key_, 0);
    if (fresh) it->second = state_by_text(i, n, matched);
    return it->second;
  }

  // matched_entries(r_, i). It depends only on the quantizer's name shape and parent, and on
  // which of the entries matched by name (few: patterns that tell digits apart) hit its name; so
  // it is worked out once for each such triple instead of over every entry for every quantizer.
  const std::vector<uint32_t>& matched_of(size_t i) {
    if (by_name_.size() > 64) {
      matched_entries(r_, i, matched_);
      return matched_;
    }
    uint64_t hits = 0;
    for (size_t k = 0; k < by_name_.size(); ++k) {
      const std::vector<uint64_t>& bits = r_.matches[by_name_[k]].name_bits;
      hits |= ((bits[i / 64] >> (i % 64)) & 1) << k;
    }
    const MatchKey key{uint64_t{r_.shape_of[i]} << 32 | r_.parent_of[i], hits};
    auto [it, fresh] = matched_of_key_.try_emplace(key);
    if (fresh) matched_entries(r_, i, it->second);
    return it->second;
  }

  uint32_t state_by_text(size_t i, const QuantizerNode& n, const std::vector<uint32_t>& matched) {
    std::string s = n.sequential ? "{\"kind\": \"sequential\"" : "{\"kind\": \"tensor\"";
    s += ", \"enabled\": " + enabled_text(n);
    if (!n.sequential)
      s += n.hard_disabled ? ", \"hard_disabled\": true" : ", \"hard_disabled\": false";
    s += ", \"attributes\": " + attributes_text(n);
    s += ", \"last_cfg_entry\": " + index_text(n.last_cfg_entry);
    s += ", \"last_enable_entry\": " + index_text(n.last_enable_entry);
    if (o_.provenance) {
      s += ", \"matched_entries\": " + list_text(matched);
      s += ", \"overridden_entries\": " + list_text(overridden_entries(r_.quantizers[i], matched));
    }
    s += '}';
    auto [it, fresh] = state_of_text_.try_emplace(s, static_cast<uint32_t>(state_text_.size()));
    if (fresh) state_text_.push_back(std::move(s));
    return it->second;
  }

  const Resolution& r_;
  const PlanOptions& o_;
  std::ostream& sink_;
  std::string out_;
  std::unordered_map<const Value*, uint32_t> attribute_of_ptr_;
  std::unordered_map<std::string, uint32_t> attribute_of_text_;
  std::vector<std::string> attribute_text_;
  std::unordered_map<std::string, uint32_t> state_of_text_;
  struct StateKey {
    const Value* attributes;
    const std::vector<uint32_t>* matched;
    int32_t last_cfg, last_enable;
    bool enabled, hard_disabled;
    bool operator==(const StateKey&) const = default;
  };
  struct StateKeyHash {
    size_t operator()(const StateKey& k) const {
      uint64_t h = reinterpret_cast<uintptr_t>(k.attributes) * 0x9e3779b97f4a7c15ull;
      h ^= reinterpret_cast<uintptr_t>(k.matched) + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
      h ^= (uint64_t{static_cast<uint32_t>(k.last_cfg)} << 32 |
            static_cast<uint32_t>(k.last_enable)) +
           (h << 6) + (h >> 2);
      return std::hash<uint64_t>()(h ^ (uint64_t{k.enabled} << 1 | uint64_t{k.hard_disabled}));
    }
  };
  std::unordered_map<StateKey, uint32_t, StateKeyHash> state_of_key_;
  std::unordered_map<std::string, uint32_t> state_of_content_;  // state_by_content's keys
  std::string key_;
  std::vector<uint32_t> matched_;  // state_id's, reused
  struct MatchKey {
    uint64_t shape_parent, name_hits;
    bool operator==(const MatchKey&) const = default;
  };
  struct MatchKeyHash {
    size_t operator()(const MatchKey& k) const {
      return std::hash<uint64_t>()(k.shape_parent * 0x9e3779b97f4a7c15ull ^ k.name_hits);
    }
  };
  const std::vector<uint32_t> by_name_ = entries_matched_by_name(r_);
  std::unordered_map<MatchKey, std::vector<uint32_t>, MatchKeyHash> matched_of_key_;
  std::vector<std::string> state_text_;
};

}  // namespace

void write_plan_v2_json(const Resolution& r, std::ostream& out, const PlanOptions& options) {
  PlanV2Writer(r, options, out).write();
}

}  // namespace qcfg::resolver
