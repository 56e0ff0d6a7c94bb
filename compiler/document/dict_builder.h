// Builds a Python dict from pairs in document order: an equal key keeps its first position and
// takes the last value. Value::insert does the same by linear search; this keeps an index of
// string keys so that a mapping with many keys stays linear instead of quadratic.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "compiler/document/reader.h"
#include "compiler/value.h"

namespace qcfg::document {

class DictBuilder {
 public:
  // With `duplicates`, a key inserted twice as `own` (written in this mapping, not merged in)
  // is recorded there, against its previous own occurrence.
  explicit DictBuilder(SourceLocation loc, std::vector<DuplicateKey>* duplicates = nullptr)
      : dict_(Value::map(loc)), duplicates_(duplicates) {}

  void insert(Value key, Value value, bool own = true) {
    std::vector<MapEntry>& entries = dict_.entries();
    if (key.is_string()) {
      // A str is equal only to a str of the same text (Python equality).
      const auto [it, inserted] = string_keys_.emplace(key.as_string(), entries.size());
      if (!inserted) return replace(it->second, key, std::move(value), own);
    } else {
      for (size_t index : other_keys_) {
        if (python_equal(entries[index].key, key))
          return replace(index, key, std::move(value), own);
      }
      other_keys_.push_back(entries.size());
    }
    last_own_.push_back(own ? key.loc() : SourceLocation{});
    entries.push_back(MapEntry{std::move(key), std::move(value)});
  }

  Value take() { return std::move(dict_); }

 private:
  void replace(size_t index, const Value& key, Value value, bool own) {
    dict_.entries()[index].value = std::move(value);
    if (!own) return;
    if (duplicates_ && last_own_[index].file) {
      duplicates_->push_back(DuplicateKey{key.is_string() ? key.as_string() : key.repr(),
                                          last_own_[index], key.loc()});
    }
    last_own_[index] = key.loc();
  }

  Value dict_;
  std::vector<DuplicateKey>* duplicates_;
  std::vector<SourceLocation> last_own_;  // per entry: its latest own key, file null if none
  std::unordered_map<std::string, size_t> string_keys_;
  std::vector<size_t> other_keys_;  // positions of non-string keys (few in practice)
};

}  // namespace qcfg::document
