#include "migrations/json_schema.h"

#include <initializer_list>
#include <iterator>
#include <string>
#include <utility>

#include "compiler/json_writer.h"
#include "migrations/json_schema_sections.h"
#include "schema/attribute_config.h"

namespace qcfg::migrations {

namespace {

// ---- small builders ------------------------------------------------------------------------

Value str(std::string_view s) { return Value::string(std::string(s)); }

Value obj(std::initializer_list<std::pair<std::string_view, Value>> pairs) {
  Value m = Value::map();
  for (const auto& [k, v] : pairs) m.set(k, v);
  return m;
}

Value arr(std::initializer_list<Value> items) {
  Value l = Value::list();
  for (const Value& v : items) l.push_back(v);
  return l;
}

Value strings(std::initializer_list<std::string_view> items) {
  Value l = Value::list();
  for (std::string_view s : items) l.push_back(str(s));
  return l;
}

Value ref(std::string_view name) {
  return obj({{"$ref", str("#/definitions/" + std::string(name))}});
}
Value type(std::string_view t) { return obj({{"type", str(t)}}); }
Value null_type() { return type("null"); }
Value any_of(std::initializer_list<Value> options) { return obj({{"anyOf", arr(options)}}); }
Value enum_of(std::initializer_list<std::string_view> values) {
  return obj({{"enum", strings(values)}});
}
Value array_of(Value items) { return obj({{"type", str("array")}, {"items", std::move(items)}}); }
Value map_of(Value values) {
  return obj({{"type", str("object")}, {"additionalProperties", std::move(values)}});
}

Value described(Value schema, std::string_view description) {
  schema.set("description", str(description));
  return schema;
}

Value integer_pair() {
  return obj({{"type", str("array")},
              {"items", type("integer")},
              {"minItems", Value::integer(2)},
              {"maxItems", Value::integer(2)}});
}

// A closed object: `properties` in order, nothing else allowed.
Value closed(Value properties, std::initializer_list<std::string_view> required = {}) {
  Value o = obj({{"type", str("object")}, {"properties", std::move(properties)}});
  if (required.size() > 0) o.set("required", strings(required));
  o.set("additionalProperties", Value::boolean(false));
  return o;
}

const char* kAxisKeyPattern = "^-?[0-9]+$";

// A number in (0, 16]: effective_bits wherever it appears (attributes, QuantizeConfig,
// auto_quantize constraints). 1e999 is infinity in JSON and YAML 1.2, above the maximum.
Value effective_bits_range() {
  return obj({{"type", str("number")},
              {"exclusiveMinimum", Value::integer(0)},
              {"maximum", Value::integer(16)}});
}

// ---- num_bits formats (validate_num_bits, shared/spec/quant_cfg.md §5.2)
// ----------------------------------

// The loader turns these strings into (E, M) pairs (YAML, under num_bits and scale_bits).
const char* kExMyPattern = "^[eE][0-9]+[mM][0-9]+$";
// Pairs with positive items in ModelOpt's FPx list; the first two also work without blocks.
const std::pair<int, int> kFpFormats[] = {{4, 3}, {2, 1}, {5, 2}, {1, 2}, {3, 2}, {2, 3}};
constexpr size_t kFormatsWithoutBlocks = 2;

Value format_pairs(size_t from) {
  Value l = Value::list();
  for (size_t i = from; i < std::size(kFpFormats); ++i) {
    l.push_back(arr({Value::integer(kFpFormats[i].first), Value::integer(kFpFormats[i].second)}));
  }
  return l;
}

// `^[eE]0*(4[mM]0*3|...)$`: the ExMy spellings of those pairs (leading zeros allowed).
std::string format_pattern(size_t from) {
  std::string alternatives;
  for (size_t i = from; i < std::size(kFpFormats); ++i) {
    if (!alternatives.empty()) alternatives += "|";
    alternatives +=
        std::to_string(kFpFormats[i].first) + "[mM]0*" + std::to_string(kFpFormats[i].second);
  }
  return "^[eE]0*(" + alternatives + ")$";
}

// The formats of kFpFormats from index `from` on, as pairs or ExMy strings.
Value formats_from(size_t from) {
  return any_of({obj({{"enum", format_pairs(from)}}),
                 obj({{"type", str("string")}, {"pattern", str(format_pattern(from))}})});
}

// What validate_num_bits accepts: a positive int, a supported pair, a supported ExMy string, or
// a string that is not ExMy at all (custom formats such as nf4 pass ModelOpt's validator).
Value supported_num_bits() {
  return any_of({obj({{"type", str("integer")}, {"minimum", Value::integer(1)}}), formats_from(0),
                 obj({{"type", str("string")}, {"not", obj({{"pattern", str(kExMyPattern)}})}})});
}

Value has_property(std::string_view name, Value schema) {
  return obj({{"required", strings({name})}, {"properties", obj({{name, std::move(schema)}})}});
}

Value if_then(Value condition, Value then) {
  return obj({{"if", std::move(condition)}, {"then", std::move(then)}});
}

// The attribute validator's rules across fields. A mapping with `$import` is merged with the
// snippet before ModelOpt validates it, so these apply only where no `$import` is written.
Value attribute_rules() {
  const Value custom_backend = has_property("backend", type("string"));
  const Value not_backend = obj({{"not", custom_backend}});
  Value needs_dynamic_blocks =
      obj({{"allOf",
            arr({not_backend, has_property("num_bits", formats_from(kFormatsWithoutBlocks))})}});
  Value dynamic_blocks =
      has_property("block_sizes", has_property("type", obj({{"const", str("dynamic")}})));
  Value rules = arr({
      if_then(not_backend, obj({{"properties", obj({{"num_bits", supported_num_bits()}})}})),
      if_then(needs_dynamic_blocks, dynamic_blocks),
      if_then(has_property("block_sizes", type("object")),
              obj({{"properties", obj({{"axis", null_type()}})}})),
      if_then(has_property("use_constant_amax", obj({{"const", Value::boolean(true)}})),
              obj({{"properties", obj({{"constant_amax", null_type()}})}})),
  });
  return if_then(obj({{"not", obj({{"required", strings({"$import"})}})}}),
                 obj({{"allOf", rules}}));
}

// ---- the attribute table (shared/spec/quant_cfg.md §5.2)
// -------------------------------------------------

struct AttributeSchema {
  std::string_view name;
  Value (*schema)();
  std::string_view description;
};

Value block_sizes_schema() {
  Value props = obj({{"type", described(enum_of({"static", "dynamic"}),
                                        "static or dynamic (case-sensitive; ModelOpt quantizes "
                                        "other spellings statically, qcfg lint QC021 warns)")},
                     {"scale_bits", any_of({type("integer"), integer_pair(), type("string")})},
                     {"scale_block_sizes", any_of({type("object"), null_type()})},
                     {"four_over_six", any_of({type("boolean"), type("integer")})}});
  Value o = obj({{"type", str("object")}, {"properties", props}});
  o.set("propertyNames",
        any_of({enum_of({"type", "scale_bits", "scale_block_sizes", "four_over_six"}),
                obj({{"pattern", str(kAxisKeyPattern)}})}));
  o.set("additionalProperties", any_of({type("integer"), null_type()}));
  return any_of({null_type(), o});
}

Value bias_schema() {
  Value props =
      obj({{"type", enum_of({"static", "dynamic"})}, {"method", enum_of({"mean", "max_min"})}});
  Value o = obj({{"type", str("object")}, {"properties", props}});
  o.set("propertyNames",
        any_of({enum_of({"type", "method"}), obj({{"pattern", str(kAxisKeyPattern)}})}));
  // At least one axis key: some name is neither type nor method.
  o.set("not", obj({{"propertyNames", enum_of({"type", "method"})}}));
  o.set("additionalProperties",
        any_of({enum_of({"static", "dynamic", "mean", "max_min"}), array_of(type("integer")),
                type("boolean"), type("integer"), null_type()}));
  return any_of({null_type(), o});
}

Value rotate_schema() { return any_of({type("boolean"), ref("rotate_config")}); }

Value positive_number_or_null() {
  return any_of(
      {obj({{"type", str("number")}, {"exclusiveMinimum", Value::integer(0)}}), null_type()});
}

const std::vector<AttributeSchema>& attribute_table() {
  static const std::vector<AttributeSchema> table = {
      {"enable", [] { return type("boolean"); },
       "ignored inside cfg: the entry's own `enable` decides (ModelOpt quirk)"},
      {"num_bits",
       [] {
         return any_of({type("integer"), integer_pair(), type("string")});
       },
       "integer bits, (E, M) pair, or an ExMy string such as e4m3 (YAML only); E5M2, E1M2, "
       "E3M2 and E2M3 need block_sizes with type: dynamic (a custom backend lifts both rules)"},
      {"effective_bits",
       [] {
         return any_of({effective_bits_range(), null_type()});
       },
       "in (0, 16]"},
      {"axis",
       [] {
         return any_of({type("integer"), array_of(type("integer")), null_type()});
       },
       "per-channel axis; must be null with block_sizes"},
      {"fake_quant", [] { return type("boolean"); }, "fake (true) or real quantization"},
      {"unsigned", [] { return type("boolean"); }, "unsigned integer range"},
      {"narrow_range", [] { return type("boolean"); }, "narrow integer range"},
      {"learn_amax",
       [] {
         return obj({{"const", Value::boolean(false)}});
       },
       "deprecated: true is rejected"},
      {"type",
       [] {
         return enum_of({"static", "dynamic"});
       },
       "static or dynamic quantization"},
      {"block_sizes", block_sizes_schema,
       "block size per axis (integer keys such as -1) plus type, scale_bits, scale_block_sizes, "
       "four_over_six"},
      {"bias", bias_schema, "bias per axis plus type and method"},
      {"trt_high_precision_dtype",
       [] {
         return enum_of({"Float", "Half", "BFloat16"});
       },
       "TensorRT high-precision dtype"},
      {"calibrator",
       [] {
         return any_of({enum_of({"max", "histogram"}), type("array")});
       },
       "max or histogram"},
      {"rotate", rotate_schema, "Hadamard rotation: a boolean or a RotateConfig"},
      {"pass_through_bwd", [] { return type("boolean"); }, "straight-through backward"},
      {"backend",
       [] {
         return any_of({type("string"), null_type()});
       },
       "custom backend name (disables the num_bits checks)"},
      {"backend_extra_args",
       [] {
         return any_of({type("object"), null_type()});
       },
       "free-form arguments of the backend"},
      {"use_constant_amax", [] { return type("boolean"); }, "use constant_amax"},
      {"constant_amax", positive_number_or_null, "a positive amax"},
  };
  return table;
}

// `$import` in a mapping position merges the named snippets (shared/spec/quant_cfg.md §3.7).
Value import_reference() {
  return described(any_of({type("string"), array_of(type("string"))}),
                   "name(s) declared under `imports`; merged under the keys written inline");
}

Value attributes_definition() {
  const Value defaults = default_attribute_dump();
  Value props = Value::map();
  for (const AttributeSchema& a : attribute_table()) {
    Value s = described(a.schema(), a.description);
    if (const Value* d = defaults.find(a.name)) s.set("default", *d);
    props.set(a.name, s);
  }
  props.set("$import", import_reference());
  Value attributes = closed(props);
  const Value rules = attribute_rules();
  for (const MapEntry& e : rules.entries()) attributes.set(e.key.as_string(), e.value);
  return described(attributes, "QuantizerAttributeConfig");
}

Value rotate_config_definition() {
  return described(
      closed(obj(
          {{"enable", type("boolean")},
           {"mode", enum_of({"rotate", "rotate_back"})},
           {"rotate_fp32", type("boolean")},
           {"block_size", any_of({obj({{"type", str("integer")}, {"minimum", Value::integer(1)}}),
                                  null_type()})}})),
      "RotateConfig");
}

// Attributes as ModelOpt validates them in `cfg` and in a snippet: `{enable: true}` alone is
// refused there (in a legacy item `enable` is lifted to the entry first, so it is fine).
Value validated_attributes() {
  Value only_enable_true =
      obj({{"maxProperties", Value::integer(1)},
           {"required", strings({"enable"})},
           {"properties", obj({{"enable", obj({{"const", Value::boolean(true)}})}})}});
  return obj({{"allOf", arr({ref("attributes"), obj({{"not", only_enable_true}})})}});
}

Value cfg_schema() {
  return any_of({validated_attributes(), array_of(validated_attributes()), null_type()});
}

Value entry_definition() {
  Value e = closed(
      obj({{"parent_class", described(any_of({type("string"), null_type()}),
                                      "immediate parent module class, e.g. nn.Linear")},
           {"quantizer_name", described(type("string"), "fnmatch pattern over quantizer names")},
           {"enable", type("boolean")},
           {"cfg", described(cfg_schema(),
                             "full replacement of the attributes (a list: sequential quantizers)")},
           {"$import", import_reference()}}));
  e.set("anyOf", arr({obj({{"required", strings({"quantizer_name"})}}),
                      obj({{"required", strings({"$import"})}})}));
  return described(e, "QuantizerCfgEntry");
}

Value import_item_definition() {
  return described(closed(obj({{"$import", import_reference()}}), {"$import"}),
                   "splices an entry-list snippet or appends an entry snippet");
}

// shared/spec/quant_cfg.md §4.2: the value of a legacy key.
Value legacy_value_definition() {
  return described(any_of({null_type(), ref("attributes"), array_of(ref("attributes"))}),
                   "legacy: attributes (with `enable` lifted to the entry), a sequential list, "
                   "or null (enable only)");
}

Value legacy_mapping(bool single_item) {
  Value m = obj({{"type", str("object")}});
  m.set("propertyNames", obj({{"not", enum_of({"quantizer_name", "$import"})}}));
  m.set("patternProperties",
        obj({{"^nn\\.",
              described(map_of(ref("attributes")),
                        "nn.* scope: quantizer names to attributes (becomes parent_class)")}}));
  m.set("additionalProperties", ref("legacy_value"));
  if (single_item) {
    // One key, or several of which one is an `nn.*` scope (shared/spec/quant_cfg.md §4.1).
    m.set("anyOf",
          arr({obj({{"maxProperties", Value::integer(1)}, {"minProperties", Value::integer(1)}}),
               obj({{"not", obj({{"propertyNames",
                                  obj({{"not", obj({{"pattern", str("^nn\\.")}})}})}})}})}));
  }
  return m;
}

Value quant_cfg_definition() {
  Value list = array_of(any_of({ref("entry"), ref("import_item"), ref("legacy_item")}));
  return described(any_of({described(list, "list of entries, applied in order"),
                           described(ref("legacy_dict"), "legacy flat dict (deprecated)")}),
                   "quant_cfg: the ordered entry list (legacy forms are accepted and deprecated)");
}

Value imports_definition() {
  return described(any_of({map_of(type("string")), null_type()}),
                   "snippet names to config paths (without .yaml), looked up in the working "
                   "directory, then in the recipe root");
}

Value algorithm_schema() {
  return described(any_of({type("string"), type("object"), type("array"), null_type()}),
                   "calibration algorithm: max, mse, smoothquant, awq_lite, awq_full, "
                   "awq_clip, gptq, ... or {method: ..., ...}");
}

Value quantize_config_definition() {
  return described(closed(obj({{"imports", ref("imports")},
                               {"$import", import_reference()},
                               {"quant_cfg", ref("quant_cfg")},
                               {"algorithm", algorithm_schema()},
                               {"effective_bits", any_of({effective_bits_range(), null_type()})}})),
                   "QuantizeConfig");
}

Value string_list() { return array_of(any_of({type("string"), ref("import_item")})); }

Value non_empty(Value list) {
  list.set("minItems", Value::integer(1));
  return list;
}

Value auto_quantize_definition() {
  Value constraints = closed(
      obj({{"effective_bits", effective_bits_range()},
           {"cost_model", enum_of({"weight", "active_moe"})},
           {"cost", any_of({closed(obj({{"active_moe_expert_ratio",
                                         any_of({obj({{"type", str("number")},
                                                      {"exclusiveMinimum", Value::integer(0)},
                                                      {"maximum", Value::integer(1)}}),
                                                 null_type()})}})),
                            null_type()})}}));
  Value formats = array_of(any_of({ref("quantize_config"), ref("import_item")}));
  Value space = closed(obj({{"module_name_patterns", non_empty(string_list())},
                            {"candidate_formats", non_empty(formats)},
                            {"allow_no_quant", type("boolean")}}),
                       {"module_name_patterns", "candidate_formats"});
  return described(closed(obj({{"constraints", constraints},
                               {"candidate_formats", formats},
                               {"module_search_spaces", array_of(space)},
                               {"auto_quantize_method", enum_of({"gradient", "kl_div"})},
                               {"score_size", type("integer")},
                               {"disabled_layers", string_list()},
                               {"cost_excluded_layers", string_list()},
                               {"kv_cache", any_of({ref("quantize_config"), null_type()})}}),
                          {"constraints"}),
                   "AutoQuantizeConfig");
}

Value metadata(std::initializer_list<std::string_view> recipe_types) {
  return closed(obj({{"recipe_type", enum_of(recipe_types)}, {"description", type("string")}}),
                {"recipe_type"});
}

Value ptq_recipe_definition() {
  return described(closed(obj({{"imports", ref("imports")},
                               {"metadata", metadata({"ptq"})},
                               {"quantize", ref("quantize_config")}}),
                          {"metadata", "quantize"}),
                   "ModelOptPTQRecipe");
}

Value auto_quantize_recipe_definition() {
  return described(closed(obj({{"imports", ref("imports")},
                               {"metadata", metadata({"auto_quantize"})},
                               {"quantize", any_of({ref("quantize_config"), null_type()})},
                               {"auto_quantize", ref("auto_quantize")}}),
                          {"metadata", "auto_quantize"}),
                   "ModelOptAutoQuantizeRecipe");
}

Value base_definitions();

// The quant_cfg definitions, then those built from the schema stage's field tables.
Value all_definitions() {
  Value defs = base_definitions();
  for (auto& [name, def] : section_definitions(ref("imports"))) defs.set(name, std::move(def));
  return defs;
}

Value base_definitions() {
  return obj({{"attributes", attributes_definition()},
              {"rotate_config", rotate_config_definition()},
              {"entry", entry_definition()},
              {"import_item", import_item_definition()},
              {"legacy_value", legacy_value_definition()},
              {"legacy_item",
               described(legacy_mapping(true),
                         "legacy one-key item, or a mapping with nn.* scopes (deprecated)")},
              {"legacy_dict", legacy_mapping(false)},
              {"quant_cfg", quant_cfg_definition()},
              {"imports", imports_definition()},
              {"quantize_config", quantize_config_definition()},
              {"auto_quantize", auto_quantize_definition()},
              {"ptq_recipe", ptq_recipe_definition()},
              {"auto_quantize_recipe", auto_quantize_recipe_definition()},
              {"layer_pattern_list", string_list()}});
}

Value root_of(SchemaDocKind kind) {
  switch (kind) {
    case SchemaDocKind::Recipe:
      return any_of({ref("ptq_recipe"), ref("auto_quantize_recipe"), ref("eagle_recipe"),
                     ref("dflash_recipe"), ref("medusa_recipe"), ref("DMDConfig"),
                     ref("quantize_config"), array_of(any_of({ref("entry"), ref("import_item")})),
                     ref("entry"), validated_attributes(), ref("layer_pattern_list")});
    case SchemaDocKind::QuantCfg:
      return ref("quant_cfg");
    case SchemaDocKind::QuantizeConfig:
      return ref("quantize_config");
    case SchemaDocKind::Entry:
      return ref("entry");
    case SchemaDocKind::Attributes:
      return validated_attributes();
  }
  return Value::map();
}

}  // namespace

const std::vector<SchemaDocInfo>& schema_documents() {
  static const std::vector<SchemaDocInfo> docs = {
      {SchemaDocKind::Recipe, "recipe", "qcfg-recipe.schema.json",
       "ModelOpt recipe-tree file (recipe, preset, entry list or snippet)"},
      {SchemaDocKind::QuantCfg, "quant_cfg", "quant-cfg.schema.json", "ModelOpt quant_cfg"},
      {SchemaDocKind::QuantizeConfig, "quantize_config", "quantize-config.schema.json",
       "ModelOpt QuantizeConfig"},
      {SchemaDocKind::Entry, "entry", "quantizer-entry.schema.json", "ModelOpt QuantizerCfgEntry"},
      {SchemaDocKind::Attributes, "attributes", "quantizer-attributes.schema.json",
       "ModelOpt QuantizerAttributeConfig"},
  };
  return docs;
}

std::optional<SchemaDocKind> schema_kind_from_name(std::string_view name) {
  for (const SchemaDocInfo& d : schema_documents()) {
    if (d.name == name) return d.kind;
  }
  return std::nullopt;
}

Value json_schema(SchemaDocKind kind) {
  const SchemaDocInfo* info = nullptr;
  for (const SchemaDocInfo& d : schema_documents()) {
    if (d.kind == kind) info = &d;
  }
  Value doc = obj({{"$schema", str("http://json-schema.org/draft-07/schema#")},
                   {"title", str(info->title)},
                   {"description", str("Generated by `qcfg schema --kind " +
                                       std::string(info->name) + "`; do not edit.")}});
  const Value root = root_of(kind);
  for (const MapEntry& e : root.entries()) doc.set(e.key.as_string(), e.value);
  doc.set("definitions", all_definitions());
  return doc;
}

std::string json_schema_text(SchemaDocKind kind) {
  return to_json(json_schema(kind), JsonStyle{2, false}) + "\n";
}

std::vector<std::string> schema_attribute_names() {
  std::vector<std::string> names;
  for (const AttributeSchema& a : attribute_table()) names.emplace_back(a.name);
  return names;
}

}  // namespace qcfg::migrations
