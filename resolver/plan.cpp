#include "resolver/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <ostream>
#include <sstream>
#include <unordered_map>

#include "compiler/json_writer.h"
#include "resolver/attributes.h"
#include "resolver/chunked_output.h"
#include "resolver/names.h"
#include "resolver/plan_internal.h"

namespace qcfg::resolver {
namespace {

Value index_or_null(int32_t i) { return i < 0 ? Value::null() : Value::integer(i); }

Value loc_value(const SourceLocation& loc) {
  return loc.known() ? Value::string(loc.str()) : Value::null();
}

Value entry_loc_or_null(const Resolution& r, int32_t i) {
  if (i < 0) return Value::null();
  return loc_value((*r.entries)[static_cast<size_t>(i)].loc);
}

Value index_list(const std::vector<uint32_t>& v) {
  Value list = Value::list();
  for (uint32_t i : v) list.push_back(Value::integer(i));
  return list;
}

}  // namespace

Value plan_entries_value(const Resolution& r) {
  Value list = Value::list();
  for (size_t i = 0; i < r.entries->size(); ++i) {
    const QuantizerEntry& e = (*r.entries)[i];
    Value v = Value::map();
    v.set("index", Value::integer(static_cast<int64_t>(i)));
    v.set("quantizer_name", Value::string(e.quantizer_name));
    v.set("parent_class", e.parent_class ? Value::string(*e.parent_class) : Value::null());
    v.set("enable", Value::boolean(e.enable));
    v.set("applied_as",
          Value::string(e.cfg_kind == CfgKind::None ? "enable_only" : "full_replace"));
    v.set("loc", loc_value(e.loc));
    list.push_back(std::move(v));
  }
  return list;
}

namespace {

Value quantizer_value(const Resolution& r, size_t i, const PlanOptions& options) {
  const InventoryQuantizer& q = r.inventory->quantizers[i];
  const ResolvedQuantizer& rq = r.quantizers[i];
  Value v = Value::map();
  v.set("name", Value::string(q.name));
  v.set("parent_class", q.parent_class ? Value::string(*q.parent_class) : Value::null());
  v.set("kind", Value::string(rq.node.sequential ? "sequential" : "tensor"));
  v.set("enabled", node_enabled_value(rq.node));
  if (!rq.node.sequential) v.set("hard_disabled", Value::boolean(rq.node.hard_disabled));
  v.set("attributes", node_attributes_value(rq.node));
  v.set("last_cfg_entry", index_or_null(rq.node.last_cfg_entry));
  v.set("last_enable_entry", index_or_null(rq.node.last_enable_entry));
  if (options.provenance) {
    const std::vector<uint32_t> matched = matched_entries(r, i);
    v.set("matched_entries", index_list(matched));
    v.set("overridden_entries", index_list(overridden_entries(rq, matched)));
    Value prov = Value::map();
    prov.set("last_cfg_entry", entry_loc_or_null(r, rq.node.last_cfg_entry));
    prov.set("last_enable_entry", entry_loc_or_null(r, rq.node.last_enable_entry));
    v.set("provenance", std::move(prov));
  }
  return v;
}

}  // namespace

Value node_enabled_value(const QuantizerNode& node) {
  if (!node.sequential) return Value::boolean(node.enabled());
  Value list = Value::list();
  for (const QuantizerNode& c : node.children) list.push_back(node_enabled_value(c));
  return list;
}

Value node_attributes_value(const QuantizerNode& node) {
  if (!node.sequential) return node.attributes ? *node.attributes : default_attributes();
  Value list = Value::list();
  for (const QuantizerNode& c : node.children) list.push_back(node_attributes_value(c));
  return list;
}

std::string node_format_label(const QuantizerNode& node) {
  if (!node.sequential) return node.enabled() ? format_label(*node.attributes) : "disabled";
  std::string out;
  for (const QuantizerNode& c : node.children) {
    if (!out.empty()) out += " + ";
    out += node_format_label(c);
  }
  return "[" + out + "]";
}

std::vector<uint32_t> overridden_entries(const ResolvedQuantizer& q,
                                         const std::vector<uint32_t>& matched) {
  std::vector<uint32_t> out;
  const int32_t last_cfg = q.node.last_cfg_entry;
  const int32_t last_enable = q.node.last_enable_entry;
  for (uint32_t e : matched) {
    const auto i = static_cast<int32_t>(e);
    if (i == last_cfg || i == last_enable) continue;
    if (i < last_cfg || i < last_enable) out.push_back(e);
  }
  return out;
}

Value plan_to_value(const Resolution& r, const PlanOptions& options) {
  Value plan = Value::map();
  plan.set("plan_version", Value::integer(1));
  plan.set("inventory", Value::string(r.inventory->origin));
  plan.set("entries", plan_entries_value(r));
  Value list = Value::list();
  list.items().reserve(r.quantizers.size());
  for (size_t i = 0; i < r.quantizers.size(); ++i) list.push_back(quantizer_value(r, i, options));
  plan.set("quantizers", std::move(list));
  return plan;
}

namespace {

// `text` (JSON at indent 0) placed at nesting depth `spaces`.
std::string indented(const std::string& text, size_t spaces) {
  std::string out;
  out.reserve(text.size() + 64);
  const std::string pad(spaces, ' ');
  for (char c : text) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

std::string json_of(const Value& v, size_t depth) { return indented(to_json(v), depth); }

}  // namespace

std::string indented_json(const Value& v, size_t depth) { return json_of(v, depth); }

namespace {

// Writes the plan as to_json(plan_to_value(r)) would, one quantizer at a time, rendering each
// shared attribute mapping and each provenance pair once. Text goes to the sink in chunks of about
// 1 MiB (chunked_output.h), so memory stays bounded however many quantizers the model has.
class PlanWriter {
 public:
  PlanWriter(const Resolution& r, const PlanOptions& o, std::ostream& sink)
      : r_(r), o_(o), sink_(sink) {}

  void write() {
    out_ = "{\n  \"entries\": " + json_of(plan_entries_value(r_), 2) + ",\n";
    out_ += "  \"inventory\": " + to_json(Value::string(r_.inventory->origin)) + ",\n";
    out_ += "  \"plan_version\": 1,\n  \"quantizers\": [";
    for (size_t i = 0; i < r_.quantizers.size(); ++i) {
      out_ += i ? ",\n    {\n" : "\n    {\n";
      quantizer(i);
      out_ += "\n    }";
      flush_chunk_if_full(out_, sink_);
    }
    out_ += r_.quantizers.empty() ? "]\n}" : "\n  ]\n}";
    flush_chunk(out_, sink_);
  }

 private:
  const std::string& provenance_json(int32_t cfg_entry, int32_t enable_entry) {
    auto [it, fresh] = provenance_text_.try_emplace({cfg_entry, enable_entry});
    if (fresh) {
      Value prov = Value::map();
      prov.set("last_cfg_entry", entry_loc_or_null(r_, cfg_entry));
      prov.set("last_enable_entry", entry_loc_or_null(r_, enable_entry));
      it->second = json_of(prov, 6);
    }
    return it->second;
  }

 private:
  void field(const char* key, const std::string& json, bool last = false) {
    out_ += "      \"";
    out_ += key;
    out_ += "\": ";
    out_ += json;
    if (!last) out_ += ",\n";
  }

  const std::string& attributes_json(const QuantizerNode& node) {
    if (node.sequential) {
      scratch_ = json_of(node_attributes_value(node), 6);
      return scratch_;
    }
    auto [it, fresh] = attribute_text_.try_emplace(node.attributes);
    if (fresh) it->second = json_of(*node.attributes, 6);
    return it->second;
  }

  void quantizer(size_t i) {
    const InventoryQuantizer& q = r_.inventory->quantizers[i];
    const QuantizerNode& n = r_.quantizers[i].node;
    field("attributes", attributes_json(n));
    field("enabled",
          n.sequential ? json_of(node_enabled_value(n), 6) : (n.enabled() ? "true" : "false"));
    if (!n.sequential) field("hard_disabled", n.hard_disabled ? "true" : "false");
    field("kind", n.sequential ? "\"sequential\"" : "\"tensor\"");
    field("last_cfg_entry", index_text(n.last_cfg_entry));
    field("last_enable_entry", index_text(n.last_enable_entry));
    std::vector<uint32_t> matched;
    if (o_.provenance) {
      matched = matched_entries(r_, i);
      field("matched_entries", json_of(index_list(matched), 6));
    }
    field("name", to_json(Value::string(q.name)));
    if (o_.provenance)
      field("overridden_entries",
            json_of(index_list(overridden_entries(r_.quantizers[i], matched)), 6));
    field("parent_class", q.parent_class ? to_json(Value::string(*q.parent_class)) : "null",
          !o_.provenance);
    if (o_.provenance) {
      field("provenance", provenance_json(n.last_cfg_entry, n.last_enable_entry), true);
    }
  }

  static std::string index_text(int32_t i) { return i < 0 ? "null" : std::to_string(i); }

  const Resolution& r_;
  const PlanOptions& o_;
  std::ostream& sink_;
  std::string out_;
  std::map<std::pair<int32_t, int32_t>, std::string> provenance_text_;
  std::string scratch_;
  std::unordered_map<const Value*, std::string> attribute_text_;
};

}  // namespace

void write_plan_json(const Resolution& r, std::ostream& out, const PlanOptions& options) {
  if (options.version == 2) {
    write_plan_v2_json(r, out, options);
    return;
  }
  PlanWriter(r, options, out).write();
}

std::string plan_to_json(const Resolution& r, const PlanOptions& options) {
  std::ostringstream out;
  write_plan_json(r, out, options);
  return std::move(out).str();
}

std::string human_bytes(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

namespace {

struct Tally {
  size_t quantizers = 0;
  uint64_t bytes = 0;
};

uint64_t weight_bytes(const InventoryQuantizer& q) {
  uint64_t sum = 0;
  for (const TensorInfo& t : q.tensors) sum += t.nbytes;
  return sum;
}

std::string dtype_of(const InventoryQuantizer& q) {
  return q.tensors.empty() ? std::string("?") : q.tensors[0].dtype;
}

void print_table(std::string& out, const std::map<std::string, Tally>& rows, bool with_bytes) {
  size_t width = 20;
  for (const auto& row : rows) width = std::max(width, row.first.size());
  for (const auto& [label, t] : rows) {
    out += fmt::format("  {:<{}} {:>9} quantizers", label, width, t.quantizers);
    if (with_bytes) out += fmt::format("  {:>10}", human_bytes(t.bytes));
    out += '\n';
  }
}

}  // namespace

std::string plan_summary_text(const Resolution& r) {
  std::map<std::string, Tally> weights, others, unquantized;
  uint64_t total_weight = 0, unquantized_weight = 0;
  size_t enabled = 0;
  bool any_tensors = false;
  for (size_t i = 0; i < r.quantizers.size(); ++i) {
    const InventoryQuantizer& q = r.inventory->quantizers[i];
    const QuantizerNode& node = r.quantizers[i].node;
    const std::string label = node_format_label(node);
    const bool on = label != "disabled";
    enabled += on;
    if (q.tensors.empty()) {
      others[label].quantizers++;
      continue;
    }
    any_tensors = true;
    const uint64_t bytes = weight_bytes(q);
    total_weight += bytes;
    Tally& t = weights[on ? label : "unquantized (" + dtype_of(q) + ")"];
    t.quantizers++;
    t.bytes += bytes;
    if (!on) {
      unquantized_weight += bytes;
      Tally& u = unquantized[name_shape(q.name)];
      u.quantizers++;
      u.bytes += bytes;
    }
  }
  std::string out = fmt::format("{} quantizers, {} enabled; {} entries applied of {}\n",
                                r.quantizers.size(), enabled, r.entries_applied, r.entries->size());
  if (any_tensors) {
    out += fmt::format("Weights ({} total):\n", human_bytes(total_weight));
    print_table(out, weights, true);
  }
  out += any_tensors ? "Other quantizers (activations, KV cache):\n" : "Quantizers by format:\n";
  print_table(out, others, false);
  if (!unquantized.empty()) {
    out += fmt::format("Stays unquantized ({:.1f}% of weight bytes):\n",
                       total_weight ? 100.0 * unquantized_weight / total_weight : 0.0);
    print_table(out, unquantized, true);
  }
  return out;
}

}  // namespace qcfg::resolver
