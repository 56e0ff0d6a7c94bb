#include "lint/raw_view.h"

#include <string>

namespace qcfg::lint {
namespace {

bool contains(std::string_view s, std::string_view part) { return s.find(part) != s.npos; }

// The file body: the list of a two-document list snippet, else the (last) mapping.
const Value* body_of(const std::vector<Value>& docs) {
  if (docs.empty()) return nullptr;
  return docs.size() >= 2 && (docs[1].is_list() || docs[1].is_map()) ? &docs[1] : &docs[0];
}

void add_config(const Value& qc, const std::string& where, std::vector<RawQuantCfg>* out) {
  if (!qc.is_map()) return;
  if (const Value* q = qc.find("quant_cfg"))
    out->push_back(RawQuantCfg{q, where + "quant_cfg", false});
}

void add_auto_quantize(const Value& aq, std::vector<RawQuantCfg>* out) {
  if (!aq.is_map()) return;
  if (const Value* c = aq.find("candidate_formats"); c && c->is_list()) {
    for (size_t i = 0; i < c->items().size(); ++i) {
      add_config(c->items()[i], "auto_quantize.candidate_formats[" + std::to_string(i) + "].", out);
    }
  }
  if (const Value* s = aq.find("module_search_spaces"); s && s->is_list()) {
    for (size_t i = 0; i < s->items().size(); ++i) {
      const Value* c = s->items()[i].is_map() ? s->items()[i].find("candidate_formats") : nullptr;
      if (!c || !c->is_list()) continue;
      for (size_t k = 0; k < c->items().size(); ++k) {
        add_config(c->items()[k],
                   "auto_quantize.module_search_spaces[" + std::to_string(i) +
                       "].candidate_formats[" + std::to_string(k) + "].",
                   out);
      }
    }
  }
  if (const Value* kv = aq.find("kv_cache")) add_config(*kv, "auto_quantize.kv_cache.", out);
}

bool is_quantize_config_shape(const Value& m) {
  for (const MapEntry& e : m.entries()) {
    if (!e.key.is_string()) return false;
    const std::string& k = e.key.as_string();
    if (k != "imports" && k != "algorithm" && k != "effective_bits") return false;
  }
  return true;
}

}  // namespace

std::vector<RawQuantCfg> find_raw_quant_cfgs(const std::vector<Value>& documents,
                                             std::string_view schema_header,
                                             std::string_view input_kind) {
  std::vector<RawQuantCfg> out;
  const Value* body = body_of(documents);
  if (!body) return out;
  if (contains(schema_header, "QuantizerAttributeConfig") || contains(schema_header, "recipe.")) {
    if (!contains(schema_header, "Recipe")) return out;  // attribute sets, layer patterns
  }
  if (contains(schema_header, "QuantizerCfgEntry") && body->is_map()) {
    out.push_back(RawQuantCfg{body, "$", true});
    return out;
  }
  if (body->is_list()) {
    out.push_back(RawQuantCfg{body, "$", false});
    return out;
  }
  if (!body->is_map()) return out;
  if (body->has("metadata") || body->has("quantize") || body->has("auto_quantize")) {
    if (const Value* q = body->find("quantize")) add_config(*q, "quantize.", &out);
    if (const Value* aq = body->find("auto_quantize")) add_auto_quantize(*aq, &out);
    return out;
  }
  if (body->has("quant_cfg")) {
    add_config(*body, "", &out);
    return out;
  }
  if (is_quantize_config_shape(*body)) return out;
  const bool legacy_dict = input_kind.empty() || input_kind == "quant_cfg_legacy_dict";
  if (legacy_dict && schema_header.empty()) out.push_back(RawQuantCfg{body, "$", false});
  return out;
}

std::vector<RawEntryRef> raw_entries(const RawQuantCfg& q) {
  std::vector<RawEntryRef> out;
  if (q.single_entry) {
    out.push_back({q.value, nullptr});
  } else if (q.value->is_list()) {
    for (const Value& item : q.value->items()) {
      if (item.is_map() && item.has("$import")) continue;
      out.push_back({&item, nullptr});
    }
  } else if (q.value->is_map()) {
    for (const MapEntry& pair : q.value->entries()) {
      if (pair.key.is_string() && pair.key.as_string() == "imports") continue;
      out.push_back({nullptr, &pair});
    }
  }
  return out;
}

bool is_legacy(const RawEntryRef& e) {
  if (e.pair) return true;
  return e.item->is_map() && !e.item->has("quantizer_name") && !e.item->has("quantizer_path") &&
         e.item->size() >= 1;
}

}  // namespace qcfg::lint
