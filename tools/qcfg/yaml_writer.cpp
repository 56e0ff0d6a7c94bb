#include "tools/qcfg/yaml_writer.h"

#include <yaml-cpp/yaml.h>

#include <cmath>

namespace qcfg::cli {
namespace {

void emit(YAML::Emitter& out, const Value& v) {
  switch (v.kind()) {
    case Kind::Null:
      out << YAML::Null;
      break;
    case Kind::Bool:
      out << (v.as_bool() ? "true" : "false");
      break;
    case Kind::Int:
      out << v.int_text();
      break;
    case Kind::Float: {
      const double d = v.as_float();
      if (std::isnan(d)) {
        out << ".nan";
      } else if (std::isinf(d)) {
        out << (d > 0 ? ".inf" : "-.inf");
      } else {
        out << python_float_repr(d);
      }
      break;
    }
    case Kind::String:
    case Kind::Opaque:
      // Always quoted: `on`, `1e3`, `null` must stay strings for a YAML 1.1 reader.
      out << YAML::DoubleQuoted << (v.is_string() ? v.as_string() : v.opaque_text());
      break;
    case Kind::List:
      out << YAML::BeginSeq;
      for (const Value& item : v.items()) emit(out, item);
      out << YAML::EndSeq;
      break;
    case Kind::Map:
      out << YAML::BeginMap;
      for (const MapEntry& e : v.entries()) {
        out << YAML::Key;
        if (e.key.is_string()) {
          out << e.key.as_string();
        } else {
          emit(out, e.key);
        }
        out << YAML::Value;
        emit(out, e.value);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

std::string to_yaml(const Value& v) {
  YAML::Emitter out;
  emit(out, v);
  std::string text = out.c_str();
  if (text.empty() || text.back() != '\n') text += '\n';
  return text;
}

}  // namespace qcfg::cli
