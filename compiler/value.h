// The data model every stage works on: the value a Python program (ModelOpt) would see after
// reading a YAML or JSON file, plus the source location of each node. Mappings keep insertion
// order and Python key equality (1 == 1.0 == True), integers stay exact beyond 64 bits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/source.h"

namespace qcfg {

enum class Kind : uint8_t {
  Null,
  Bool,
  Int,
  Float,
  String,
  List,    // Python list, or tuple when is_tuple()
  Map,     // Python dict
  Opaque,  // a Python object no config field accepts (date, bytes, set): kept for messages
};

class Value;

struct MapEntry;

class Value {
 public:
  Value() = default;  // null, unknown location

  static Value null(SourceLocation loc = {});
  static Value boolean(bool v, SourceLocation loc = {});
  static Value integer(int64_t v, SourceLocation loc = {});
  // An integer outside int64: `digits` is its decimal text with an optional leading '-'.
  static Value big_integer(std::string digits, SourceLocation loc = {});
  static Value real(double v, SourceLocation loc = {});
  static Value string(std::string v, SourceLocation loc = {});
  static Value list(SourceLocation loc = {});
  static Value tuple(SourceLocation loc = {});
  static Value map(SourceLocation loc = {});
  // `type_name` is the Python type (e.g. "datetime.date"), `text` its repr.
  static Value opaque(std::string type_name, std::string text, SourceLocation loc = {});

  Kind kind() const { return kind_; }
  const SourceLocation& loc() const { return loc_; }
  void set_loc(SourceLocation loc) { loc_ = loc; }

  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_int() const { return kind_ == Kind::Int; }
  bool is_float() const { return kind_ == Kind::Float; }
  bool is_string() const { return kind_ == Kind::String; }
  bool is_list() const { return kind_ == Kind::List; }
  bool is_map() const { return kind_ == Kind::Map; }
  bool is_tuple() const { return kind_ == Kind::List && tuple_; }
  // int or bool (Python bool is an int subclass) or float.
  bool is_number() const { return is_bool() || is_int() || is_float(); }

  bool as_bool() const { return bool_; }
  // For a big integer this saturates; check is_big_int() first where it matters.
  int64_t as_int() const { return int_; }
  bool is_big_int() const { return kind_ == Kind::Int && !text_.empty(); }
  // Decimal text of any integer (small or big).
  std::string int_text() const;
  double as_float() const { return float_; }
  // The string of a String, the type name of an Opaque.
  const std::string& as_string() const { return text_; }
  const std::string& opaque_text() const { return opaque_text_; }

  // Lists and tuples.
  std::vector<Value>& items() { return items_; }
  const std::vector<Value>& items() const { return items_; }
  void push_back(Value v);  // defined below MapEntry: clang needs it complete here
  void set_tuple(bool t) { tuple_ = t; }

  // Mappings, in insertion order.
  std::vector<MapEntry>& entries() { return entries_; }
  const std::vector<MapEntry>& entries() const { return entries_; }
  // Number of items of a list or pairs of a mapping; 0 otherwise.
  size_t size() const;
  // Lookup by string key (only String keys match).
  const Value* find(std::string_view key) const;
  Value* find(std::string_view key);
  const MapEntry* find_entry(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Python `d[key] = value`: replaces the value of an equal key in place, else appends.
  void insert(Value key, Value value);
  void set(std::string_view key, Value value);
  bool erase(std::string_view key);

  // Python semantics helpers.
  bool truthy() const;              // bool(x)
  std::string python_type() const;  // type(x).__name__: "dict", "list", "int", ...
  std::string repr() const;         // repr(x)
  std::string str() const;          // str(x)

 private:
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  bool tuple_ = false;
  int64_t int_ = 0;
  double float_ = 0;
  std::string text_;  // String value, big-int digits, or Opaque type name
  std::string opaque_text_;
  std::vector<Value> items_;
  std::vector<MapEntry> entries_;
  SourceLocation loc_;
};

struct MapEntry {
  Value key;
  Value value;
};

inline void Value::push_back(Value v) { items_.push_back(std::move(v)); }

// Python `a == b` (deep; 1 == 1.0 == True, "1" != 1, list != tuple).
bool python_equal(const Value& a, const Value& b);

// Python's float repr (shortest round trip): 4.5, 16.0, 1e-05, 1e+16, inf, nan.
std::string python_float_repr(double v);

}  // namespace qcfg
