#include "runtime/plan_fast.h"

#include <simdjson.h>

#include <cstring>
#include <set>

#include "compiler/diagnostic.h"

namespace qcfg::runtime {
namespace {

namespace od = simdjson::ondemand;

// Plans are shallow (a state's attributes: 4 levels); deeper input goes to the document reader,
// whose own limit is far above this.
constexpr size_t kMaxDepth = 64;

// Line and column of byte offsets asked in increasing order, as the document reader counts them
// (lines at '\n', columns in bytes): one pass over the text in all.
class LineCounter {
 public:
  explicit LineCounter(const SourceFile& file) : file_(file) {}

  SourceLocation at(size_t offset) {
    const char* text = file_.text.data();
    while (pos_ < offset) {
      const void* nl = std::memchr(text + pos_, '\n', offset - pos_);
      if (nl == nullptr) break;
      ++line_;
      pos_ = line_start_ = static_cast<size_t>(static_cast<const char*>(nl) - text) + 1;
    }
    pos_ = offset;
    return SourceLocation{&file_, line_, static_cast<uint32_t>(offset - line_start_ + 1)};
  }

 private:
  const SourceFile& file_;
  size_t pos_ = 0;
  size_t line_start_ = 0;
  uint32_t line_ = 1;
};

class Reader {
 public:
  Reader(const SourceFile& file, const ReadLimits& limits)
      : file_(file), limits_(limits), json_(file.text), lines_(file) {}

  bool read() {
    od::parser parser;
    od::document doc;
    od::object top;
    if (parser.allocate(json_.size(), kMaxDepth) || parser.iterate(json_).get(doc) ||
        doc.get_object().get(top))
      return false;
    std::set<std::string, std::less<>> seen;
    bool version_2 = false, records = false;
    for (auto item : top) {
      od::field field;
      std::string_view key;
      if (std::move(item).get(field) || field.unescaped_key().get(key)) return false;
      if (!seen.emplace(key).second) return false;  // a repeated key: the document reader's rules
      od::value& v = field.value();
      if (key == "plan_version") {
        int64_t n = 0;
        if (v.get_int64().get(n) || n != 2) return false;
        version_2 = true;
      } else if (key == "quantizers") {
        if (!read_records(v)) return false;
        records = true;
      } else {
        Value x;
        if (!read_by_document_reader(v, x)) return false;
        if (key == "inventory" && x.is_string()) parts_.inventory = x.as_string();
        if (key == "attribute_sets") parts_.attribute_sets = std::move(x);
        if (key == "states") parts_.states = std::move(x);
      }
    }
    const char* rest = nullptr;  // past the end: nothing after the object
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS || !version_2 || !records || !parts_.attribute_sets.is_list() ||
        !parts_.states.is_list())
      return false;
    for (const PlanV2Parts::Record& r : parts_.records)
      if (r.state >= parts_.states.items().size()) return false;
    return true;
  }

  PlanV2Parts take() { return std::move(parts_); }

 private:
  size_t offset_of(std::string_view token) const {
    return static_cast<size_t>(token.data() - json_.data());
  }

  // The value `v` starts, read by read_json's parser at its offset (which also validates it:
  // the on-demand parser skips what is not read).
  bool read_by_document_reader(od::value& v, Value& out) {
    const size_t offset = offset_of(v.raw_json_token());
    out = read_json_value_at(file_, offset, lines_.at(offset), limits_);
    return true;
  }

  // {"name": non-empty string, "parent_class": string or null, "state": index}, each at most once.
  bool read_records(od::value& v) {
    od::array list;
    if (v.get_array().get(list)) return false;
    for (auto element : list) {
      od::value rv;
      od::object record;
      if (std::move(element).get(rv)) return false;
      const size_t offset = offset_of(rv.raw_json_token());
      if (rv.get_object().get(record)) return false;
      PlanV2Parts::Record r;
      r.loc = lines_.at(offset);
      bool name = false, parent = false, state = false;
      for (auto item : record) {
        od::field field;
        std::string_view key;
        if (std::move(item).get(field) || field.unescaped_key().get(key)) return false;
        od::value& fv = field.value();
        if (key == "name" && !name) {
          std::string_view s;
          if (fv.get_string().get(s) || s.empty()) return false;
          r.name = s;
          name = true;
        } else if (key == "state" && !state) {
          int64_t n = 0;
          if (fv.get_int64().get(n) || n < 0) return false;
          r.state = static_cast<size_t>(n);
          state = true;
        } else if (key == "parent_class" && !parent) {
          bool null = false;
          std::string_view s;
          if (fv.is_null().get(null)) return false;
          if (!null && fv.get_string().get(s)) return false;
          parent = true;
        } else {
          return false;
        }
      }
      if (!name || !state) return false;
      parts_.records.push_back(std::move(r));
    }
    return true;
  }

  const SourceFile& file_;
  const ReadLimits& limits_;
  simdjson::padded_string json_;
  LineCounter lines_;
  PlanV2Parts parts_;
};

}  // namespace

std::optional<PlanV2Parts> read_plan_v2_parts(const SourceFile& file, const ReadLimits& limits) {
  const std::string& text = file.text;
  // Fewer bytes than the node limit: no document of them can pass it.
  if (text.size() >= limits.max_nodes || text.size() > limits.max_bytes ||
      text.compare(0, 3, "\xEF\xBB\xBF") == 0)
    return std::nullopt;
  try {
    Reader reader(file, limits);
    if (!reader.read()) return std::nullopt;
    return reader.take();
  } catch (const CompileError&) {
    return std::nullopt;
  }
}

}  // namespace qcfg::runtime
