// Builds a Python dict from pairs in document order: an equal key keeps its first position and
// takes the last value. Value::insert does the same by linear search; this keeps an index of
// string keys so that a mapping with many keys stays linear instead of quadratic.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/value.h"

namespace qcfg::document {

class DictBuilder {
 public:
  explicit DictBuilder(SourceLocation loc) : dict_(Value::map(loc)) {}

  void insert(Value key, Value value) {
    std::vector<MapEntry>& entries = dict_.entries();
    if (key.is_string()) {
      // A str is equal only to a str of the same text (Python equality).
      const auto [it, inserted] = string_keys_.emplace(key.as_string(), entries.size());
      if (!inserted) {
        entries[it->second].value = std::move(value);
        return;
      }
    } else {
      for (size_t index : other_keys_) {
        if (python_equal(entries[index].key, key)) {
          entries[index].value = std::move(value);
          return;
        }
      }
      other_keys_.push_back(entries.size());
    }
    entries.push_back(MapEntry{std::move(key), std::move(value)});
  }

  Value take() { return std::move(dict_); }

 private:
  Value dict_;
  std::unordered_map<std::string, size_t> string_keys_;
  std::vector<size_t> other_keys_;  // positions of non-string keys (few in practice)
};

}  // namespace qcfg::document
