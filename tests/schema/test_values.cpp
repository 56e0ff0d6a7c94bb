#include "tests/schema/test_values.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace qcfg::test {
namespace {

// Locations are synthesized so that diagnostics carry a known position in tests.
SourceFile& fake_file() {
  static SourceFile file{"test.yaml", "test.yaml", ""};
  return file;
}

SourceLocation at(int line, int column) {
  return SourceLocation{&fake_file(), static_cast<uint32_t>(line + 1),
                        static_cast<uint32_t>(column + 1)};
}

Value convert_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value::null(at(0, 0));
    case nlohmann::ordered_json::value_t::boolean:
      return Value::boolean(j.get<bool>(), at(0, 0));
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
      return Value::integer(j.get<int64_t>(), at(0, 0));
    case nlohmann::ordered_json::value_t::number_float:
      return Value::real(j.get<double>(), at(0, 0));
    case nlohmann::ordered_json::value_t::string:
      return Value::string(j.get<std::string>(), at(0, 0));
    case nlohmann::ordered_json::value_t::array: {
      Value list = Value::list(at(0, 0));
      for (const auto& item : j) list.push_back(convert_json(item));
      return list;
    }
    case nlohmann::ordered_json::value_t::object: {
      Value map = Value::map(at(0, 0));
      for (auto it = j.begin(); it != j.end(); ++it) {
        map.insert(Value::string(it.key(), at(0, 0)), convert_json(it.value()));
      }
      return map;
    }
    default:
      throw std::runtime_error("unsupported json value");
  }
}

Value plain_scalar(const std::string& s, SourceLocation loc) {
  static const std::regex kNull("^(~|null|Null|NULL|)$");
  static const std::regex kTrue("^(yes|Yes|YES|true|True|TRUE|on|On|ON)$");
  static const std::regex kFalse("^(no|No|NO|false|False|FALSE|off|Off|OFF)$");
  static const std::regex kInt("^[-+]?(0|[1-9][0-9_]*)$");
  static const std::regex kFloat(
      "^[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?$|^[-+]?\\.(inf|Inf|INF)$|^\\.(nan|NaN|NAN)"
      "$");
  if (std::regex_match(s, kNull)) return Value::null(loc);
  if (std::regex_match(s, kTrue)) return Value::boolean(true, loc);
  if (std::regex_match(s, kFalse)) return Value::boolean(false, loc);
  if (std::regex_match(s, kInt)) return Value::integer(std::stoll(s), loc);
  if (std::regex_match(s, kFloat) && s != ".") {
    std::string t = s;
    bool neg = t[0] == '-';
    if (t[0] == '-' || t[0] == '+') t.erase(0, 1);
    if (t == ".inf" || t == ".Inf" || t == ".INF") {
      return Value::real(neg ? -INFINITY : INFINITY, loc);
    }
    if (t[0] == '.' && (t[1] == 'n' || t[1] == 'N')) return Value::real(NAN, loc);
    return Value::real(std::stod(s), loc);
  }
  return Value::string(s, loc);
}

Value convert_yaml(const YAML::Node& n, bool exmy_position) {
  SourceLocation loc = at(n.Mark().line, n.Mark().column);
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return Value::null(loc);
    case YAML::NodeType::Scalar: {
      static const std::regex kExmy("^[Ee]([0-9]+)[Mm]([0-9]+)$");
      std::smatch m;
      const std::string& s = n.Scalar();
      if (exmy_position && std::regex_match(s, m, kExmy)) {
        Value t = Value::tuple(loc);
        t.push_back(Value::integer(std::stoll(m[1]), loc));
        t.push_back(Value::integer(std::stoll(m[2]), loc));
        return t;
      }
      if (n.Tag() == "!") return Value::string(s, loc);  // quoted
      return plain_scalar(s, loc);
    }
    case YAML::NodeType::Sequence: {
      Value list = Value::list(loc);
      for (const auto& item : n) list.push_back(convert_yaml(item, false));
      return list;
    }
    case YAML::NodeType::Map: {
      Value map = Value::map(loc);
      for (const auto& kv : n) {
        Value key = convert_yaml(kv.first, false);
        bool exmy =
            key.is_string() && (key.as_string() == "num_bits" || key.as_string() == "scale_bits");
        map.insert(key, convert_yaml(kv.second, exmy));
      }
      return map;
    }
  }
  return Value::null(loc);
}

}  // namespace

Value from_json(const std::string& json_text) {
  return convert_json(nlohmann::ordered_json::parse(json_text));
}

Value from_yaml(const std::string& yaml_text) {
  YAML::Node root = YAML::Load(yaml_text);
  if (!root.IsDefined() || root.IsNull()) return Value::map(at(0, 0));
  return convert_yaml(root, false);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace qcfg::test
