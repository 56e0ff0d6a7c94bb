#include "compiler/document/yaml_construct.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <set>
#include <string_view>
#include <utility>

#include "compiler/diagnostic.h"
#include "compiler/document/dict_builder.h"
#include "compiler/document/yaml_scalar.h"

namespace qcfg::document {

namespace {

constexpr std::string_view kCorePrefix = "tag:yaml.org,2002:";

using Pair = std::pair<const YamlNode*, const YamlNode*>;

[[noreturn]] void fail(SourceLocation loc, std::string message) {
  throw CompileError(loc, std::move(message), "yaml-constructor");
}

// "int" for tag:yaml.org,2002:int; empty for a tag outside the core schema.
std::string_view core_name(std::string_view tag) {
  if (tag.substr(0, kCorePrefix.size()) != kCorePrefix) return {};
  return tag.substr(kCorePrefix.size());
}

// The tag as the user wrote it (`!!int`, `!foo`).
std::string shown_tag(std::string_view tag) {
  const std::string_view core = core_name(tag);
  return core.empty() ? std::string(tag) : "!!" + std::string(core);
}

const char* kind_name(const YamlNode& node) {
  switch (node.type) {
    case YamlNode::Type::Sequence:
      return "a sequence";
    case YamlNode::Type::Mapping:
      return "a mapping";
    default:
      return "a scalar";
  }
}

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

[[noreturn]] void fail_unknown_tag(const YamlNode& node) {
  fail(node.loc, fmt::format("unknown tag '{}': safe_load only knows !!str !!int !!float !!bool "
                             "!!null !!binary !!timestamp !!seq !!map !!set !!omap !!pairs; "
                             "remove the tag",
                             shown_tag(node.tag)));
}

bool is_plain(const YamlNode& node) {
  return node.type == YamlNode::Type::Scalar && node.tag == "?" && !node.resolved_null;
}

// `<<` (plain) or an explicit !!merge key.
bool is_merge_key(const YamlNode& key) {
  if (key.type != YamlNode::Type::Scalar) return false;
  if (key.tag == std::string(kCorePrefix) + "merge") return true;
  return is_plain(key) && key.text == "<<";
}

bool is_unhashable(const Value& key) {
  return key.is_list() || key.is_map() || (key.kind() == Kind::Opaque && key.as_string() == "set");
}

class Constructor {
 public:
  explicit Constructor(std::vector<DuplicateKey>* duplicates) : duplicates_(duplicates) {}

  Value construct(const YamlNode& node) {
    if (node.type == YamlNode::Type::Alias) {
      // The copy keeps the anchored node's positions, its root points at the alias.
      Value value = construct(*node.target);
      value.set_loc(node.loc);
      return value;
    }
    if (node.tag == "?" || node.tag == "!") return construct_untagged(node);
    const std::string_view name = core_name(node.tag);
    const bool scalar_tag =
        is_one_of(name, {"str", "int", "float", "bool", "null", "timestamp", "binary"});
    const bool sequence_tag = is_one_of(name, {"seq", "omap", "pairs"});
    const bool mapping_tag = is_one_of(name, {"map", "set"});
    if (!scalar_tag && !sequence_tag && !mapping_tag) fail_unknown_tag(node);
    if (scalar_tag) return construct_tagged_scalar(node, name);
    if (sequence_tag) {
      if (node.type != YamlNode::Type::Sequence) fail_kind(node, "a sequence");
      return name == "seq" ? construct_list(node) : construct_pairs(node, name);
    }
    if (node.type != YamlNode::Type::Mapping) fail_kind(node, "a mapping");
    return name == "map" ? construct_dict(node) : construct_set(node);
  }

 private:
  [[noreturn]] static void fail_kind(const YamlNode& node, const char* expected) {
    fail(node.loc, fmt::format("tag '{}' needs {} node, but found {}", shown_tag(node.tag),
                               expected, kind_name(node)));
  }

  Value construct_untagged(const YamlNode& node) {
    switch (node.type) {
      case YamlNode::Type::Sequence:
        return construct_list(node);
      case YamlNode::Type::Mapping:
        return construct_dict(node);
      default:
        break;
    }
    if (node.resolved_null) return Value::null(node.loc);
    if (node.tag == "!") return Value::string(node.text, node.loc);
    return construct_plain(node);
  }

  static Value construct_plain(const YamlNode& node) {
    switch (resolve_plain(node.text)) {
      case PlainType::Null:
        return Value::null(node.loc);
      case PlainType::Bool:
        return *construct_core_scalar("bool", node.text, node.loc);
      case PlainType::Int:
        return *construct_core_scalar("int", node.text, node.loc);
      case PlainType::Float:
        return *construct_core_scalar("float", node.text, node.loc);
      case PlainType::Timestamp:
        return construct_timestamp(node.text, node.loc);
      case PlainType::Merge:
        fail(node.loc, "'<<' (merge key) can only be a mapping key; quote it to use the text '<<'");
      case PlainType::Value:
        fail(node.loc,
             "a plain '=' is YAML's value key, which safe_load cannot construct; quote "
             "it: '='");
      case PlainType::Str:
        break;
    }
    return Value::string(node.text, node.loc);
  }

  static Value construct_tagged_scalar(const YamlNode& node, std::string_view name) {
    if (node.type != YamlNode::Type::Scalar) fail_kind(node, "a scalar");
    return *construct_core_scalar(name, node.text, node.loc);
  }

  Value construct_list(const YamlNode& node) {
    Value list = Value::list(node.loc);
    list.items().reserve(node.children.size());
    for (const auto& child : node.children) list.push_back(construct(*child));
    return list;
  }

  // !!omap / !!pairs: a sequence of one-pair mappings -> list of (key, value) tuples.
  Value construct_pairs(const YamlNode& node, std::string_view name) {
    Value list = Value::list(node.loc);
    for (const auto& child : node.children) {
      const YamlNode& item = child->deref();
      if (item.type != YamlNode::Type::Mapping || item.children.size() != 2) {
        fail(item.loc,
             fmt::format("!!{} needs a list of single-pair mappings (- key: value)", name));
      }
      Value pair = Value::tuple(item.loc);
      pair.push_back(construct(*item.children[0]));
      pair.push_back(construct(*item.children[1]));
      list.push_back(std::move(pair));
    }
    return list;
  }

  // PyYAML's flatten_mapping: merged pairs first (for a list, the last mapping's first), then
  // the mapping's own pairs; the dict is then built with the duplicate-key rule.
  static std::vector<Pair> flatten(const YamlNode& mapping) {
    std::vector<Pair> merged, own;
    const auto& c = mapping.children;
    for (size_t i = 0; i + 1 < c.size(); i += 2) {
      if (!is_merge_key(c[i]->deref())) {
        own.emplace_back(c[i].get(), c[i + 1].get());
        continue;
      }
      const YamlNode& source = c[i + 1]->deref();
      if (source.type == YamlNode::Type::Mapping) {
        std::vector<Pair> pairs = flatten(source);
        merged.insert(merged.end(), pairs.begin(), pairs.end());
      } else if (source.type == YamlNode::Type::Sequence) {
        for (auto it = source.children.rbegin(); it != source.children.rend(); ++it) {
          const YamlNode& sub = (*it)->deref();
          if (sub.type != YamlNode::Type::Mapping) {
            fail(sub.loc, fmt::format("'<<' merges mappings only, but found {}", kind_name(sub)));
          }
          std::vector<Pair> pairs = flatten(sub);
          merged.insert(merged.end(), pairs.begin(), pairs.end());
        }
      } else {
        fail(source.loc, fmt::format("'<<' needs a mapping or a list of mappings, but found {}",
                                     kind_name(source)));
      }
    }
    merged.insert(merged.end(), own.begin(), own.end());
    return merged;
  }

  Value construct_key(const YamlNode& node) {
    // flatten_mapping retags a plain `=` key as a string before constructing it.
    const YamlNode& target = node.deref();
    if (is_plain(target) && target.text == "=") return Value::string("=", node.loc);
    Value key = construct(node);
    if (is_unhashable(key)) {
      fail(node.loc,
           fmt::format("found unhashable key: {} cannot be a mapping key", key.python_type()));
    }
    return key;
  }

  Value construct_dict(const YamlNode& node) {
    DictBuilder dict(node.loc, duplicates_);
    const std::vector<Pair> pairs = flatten(node);
    // flatten puts the mapping's own pairs last; only those count as written twice.
    size_t own = 0;
    for (size_t i = 0; i + 1 < node.children.size(); i += 2)
      own += is_merge_key(node.children[i]->deref()) ? 0 : 1;
    for (size_t i = 0; i < pairs.size(); ++i) {
      Value key = construct_key(*pairs[i].first);
      dict.insert(std::move(key), construct(*pairs[i].second), i >= pairs.size() - own);
    }
    return dict.take();
  }

  // !!set: the keys of the mapping. Python prints a set in hash order; this keeps file order.
  Value construct_set(const YamlNode& node) {
    const Value dict = construct_dict(node);
    std::string text;
    for (const MapEntry& e : dict.entries()) text += (text.empty() ? "" : ", ") + e.key.repr();
    return Value::opaque("set", text.empty() ? "set()" : "{" + text + "}", node.loc);
  }

  std::vector<DuplicateKey>* duplicates_;
};

}  // namespace

Value construct_document(const YamlNode& root, std::vector<DuplicateKey>* duplicates) {
  if (!duplicates) return Constructor(nullptr).construct(root);
  // An alias constructs its anchored mapping again: keep one record per written duplicate.
  // (All records of one document are in one file: the places alone tell them apart.)
  std::vector<DuplicateKey> found;
  Value value = Constructor(&found).construct(root);
  std::set<std::array<uint32_t, 4>> seen;
  for (DuplicateKey& d : found) {
    if (seen.insert({d.earlier.line, d.earlier.column, d.later.line, d.later.column}).second)
      duplicates->push_back(std::move(d));
  }
  return value;
}

}  // namespace qcfg::document
