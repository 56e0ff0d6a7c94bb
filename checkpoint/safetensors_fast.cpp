#include "checkpoint/safetensors_fast.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>

namespace qcfg::checkpoint {
namespace {

namespace dom = simdjson::dom;

// One parser per thread: its buffers are reused from shard to shard.
dom::parser& parser() {
  thread_local dom::parser p;
  return p;
}

std::optional<dom::object> object_of(std::string_view json, simdjson::padded_string& padded) {
  padded = simdjson::padded_string(json.data(), json.size());
  dom::object root;
  if (parser().parse(padded).get(root) != simdjson::SUCCESS) return std::nullopt;
  return root;
}

// A JSON integer the reference reads as `is_number_unsigned` and within `max`.
bool unsigned_of(dom::element e, uint64_t max, uint64_t& out) {
  int64_t i = 0;
  if (e.type() == dom::element_type::INT64 && e.get_int64().get(i) == simdjson::SUCCESS && i >= 0) {
    out = static_cast<uint64_t>(i);
    return out <= max;
  }
  if (e.type() == dom::element_type::UINT64 && e.get_uint64().get(out) == simdjson::SUCCESS)
    return out <= max;
  return false;
}

struct Entry {
  TensorInfo tensor;
  uint64_t begin = 0, end = 0;
};

// What a tensor entry holds, when the reference accepts it (else false: it then says what is
// wrong, located). `dims` gets the shape appended; `dtype` is the table's static spelling.
bool fields_of(dom::element value, uint64_t data_size, std::string_view& dtype,
               std::vector<int64_t>& dims, uint64_t& begin, uint64_t& end) {
  dom::object obj;
  if (value.get_object().get(obj) != simdjson::SUCCESS) return false;
  std::string_view text;
  dom::array shape, offsets;
  int seen = 0;
  for (dom::key_value_pair kv : obj) {
    if (kv.key == "dtype") {
      if ((seen & 1) || kv.value.get_string().get(text) != simdjson::SUCCESS) return false;
      seen |= 1;
    } else if (kv.key == "shape") {
      if ((seen & 2) || kv.value.get_array().get(shape) != simdjson::SUCCESS) return false;
      seen |= 2;
    } else if (kv.key == "data_offsets") {
      if ((seen & 4) || kv.value.get_array().get(offsets) != simdjson::SUCCESS) return false;
      seen |= 4;
    }
  }
  if (seen != 7) return false;
  dtype = dtype_name(text);
  const int bits = dtype_bits(dtype);
  if (bits == 0) return false;
  uint64_t total = static_cast<uint64_t>(bits);
  for (dom::element d : shape) {
    uint64_t ud = 0;
    if (!unsigned_of(d, uint64_t{INT64_MAX}, ud)) return false;
    if (ud != 0 && total > std::numeric_limits<uint64_t>::max() / ud) return false;
    total *= ud;
    dims.push_back(static_cast<int64_t>(ud));
  }
  // Walked, not indexed: dom::array::at walks from the start at each call.
  uint64_t pair[2] = {0, 0};
  size_t n = 0;
  for (dom::element o : offsets) {
    if (n == 2 || !unsigned_of(o, std::numeric_limits<uint64_t>::max(), pair[n])) return false;
    ++n;
  }
  if (n != 2) return false;
  begin = pair[0];
  end = pair[1];
  if (begin > end || end > data_size) return false;
  return total % 8 == 0 && total / 8 == end - begin;
}

// A tensor entry the reference accepts, or false.
bool entry_of(std::string_view name, dom::element value, uint64_t data_size, Entry& out) {
  TensorInfo& t = out.tensor;
  std::string_view dtype;
  if (!fields_of(value, data_size, dtype, t.shape, out.begin, out.end)) return false;
  t.name = name;
  t.dtype = dtype;
  t.nbytes = out.end - out.begin;
  t.data_offset = out.begin;
  return true;
}

// The reference's overlap rule: non-empty ranges, in order of their start, must not overlap.
bool overlap_free(std::vector<const Entry*> by_start) {
  const auto by_begin = [](const Entry* a, const Entry* b) { return a->begin < b->begin; };
  if (!std::is_sorted(by_start.begin(), by_start.end(), by_begin))
    std::sort(by_start.begin(), by_start.end(), by_begin);
  for (size_t k = 1; k < by_start.size(); ++k) {
    const Entry& prev = *by_start[k - 1];
    const Entry& cur = *by_start[k];
    if (cur.begin < prev.end && cur.begin != cur.end && prev.begin != prev.end) return false;
  }
  return true;
}

}  // namespace

std::optional<std::vector<TensorInfo>> header_tensors_fast(std::string_view json,
                                                           uint64_t data_size,
                                                           const std::string& file) {
  simdjson::padded_string padded;
  const std::optional<dom::object> root = object_of(json, padded);
  if (!root) return std::nullopt;
  std::vector<Entry> entries;
  entries.reserve(root->size());
  for (dom::key_value_pair kv : *root) {
    if (kv.key == "__metadata__") continue;
    Entry& e = entries.emplace_back();
    if (!entry_of(kv.key, kv.value, data_size, e)) return std::nullopt;
    e.tensor.file = file;
  }
  // Sorted through indices: an Entry is a whole TensorInfo, and moving them in the sort was a
  // fifth of reading a header.
  std::vector<uint32_t> order(entries.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<uint32_t>(k);
  const auto by_name = [&](uint32_t a, uint32_t b) {
    return entries[a].tensor.name < entries[b].tensor.name;
  };
  if (!std::is_sorted(order.begin(), order.end(), by_name))
    std::sort(order.begin(), order.end(), by_name);
  std::vector<const Entry*> by_start;
  by_start.reserve(entries.size());
  for (size_t k = 0; k < order.size(); ++k) {
    if (k && entries[order[k]].tensor.name == entries[order[k - 1]].tensor.name)
      return std::nullopt;  // repeated
    by_start.push_back(&entries[order[k]]);
  }
  if (!overlap_free(std::move(by_start))) return std::nullopt;
  std::vector<TensorInfo> tensors;
  tensors.reserve(entries.size());
  for (uint32_t k : order) tensors.push_back(std::move(entries[k].tensor));
  return tensors;
}

std::optional<ShardMap> shard_map_fast(std::string_view json) {
  simdjson::padded_string padded;
  const std::optional<dom::object> root = object_of(json, padded);
  if (!root) return std::nullopt;
  dom::object map;
  int maps = 0;
  for (dom::key_value_pair kv : *root) {
    if (kv.key != "weight_map") continue;
    if (++maps > 1 || kv.value.get_object().get(map) != simdjson::SUCCESS) return std::nullopt;
  }
  if (maps != 1) return std::nullopt;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;  // tensor, shard
  for (dom::key_value_pair kv : map) {
    std::string_view shard;
    if (kv.value.get_string().get(shard) != simdjson::SUCCESS) return std::nullopt;
    pairs.emplace_back(kv.key, shard);
  }
  // Indexes are written with sorted keys (transformers' save_pretrained): checked in one pass.
  if (!std::is_sorted(pairs.begin(), pairs.end())) std::sort(pairs.begin(), pairs.end());
  ShardMap by_shard;
  std::string_view last_shard;
  std::vector<std::string>* names = nullptr;
  for (size_t k = 0; k < pairs.size(); ++k) {
    if (k && pairs[k].first == pairs[k - 1].first) return std::nullopt;  // repeated tensor
    if (names == nullptr || pairs[k].second != last_shard) {
      const std::string shard(pairs[k].second);
      if (!plain_relative_path(shard)) return std::nullopt;
      names = &by_shard[shard];
      last_shard = pairs[k].second;
    }
    names->emplace_back(pairs[k].first);
  }
  return by_shard;
}

bool index_pairs_fast(std::string_view json, char* names,
                      std::vector<std::pair<std::string_view, std::string_view>>& pairs) {
  simdjson::padded_string padded;
  const std::optional<dom::object> root = object_of(json, padded);
  if (!root) return false;
  dom::object map;
  int maps = 0;
  for (dom::key_value_pair kv : *root) {
    if (kv.key != "weight_map") continue;
    if (++maps > 1 || kv.value.get_object().get(map) != simdjson::SUCCESS) return false;
  }
  if (maps != 1) return false;
  // The parser's strings are overwritten by the next parse on this thread (a header): copied.
  const auto copy = [&](std::string_view s) {
    std::memcpy(names, s.data(), s.size());
    names += s.size();
    return std::string_view(names - s.size(), s.size());
  };
  std::string_view shard_text, shard_copy;
  pairs.reserve(map.size());
  for (dom::key_value_pair kv : map) {
    std::string_view shard;
    if (kv.value.get_string().get(shard) != simdjson::SUCCESS) return false;
    if (shard_copy.data() == nullptr || shard != shard_text) {  // shards repeat in runs
      shard_text = shard;
      shard_copy = copy(shard);
    }
    pairs.emplace_back(copy(kv.key), shard_copy);
  }
  return true;
}

bool header_records_fast(std::string& json, uint64_t data_size, const std::string* file,
                         RecordedTensors::Shard& buffers, std::vector<TensorRecord>& out) {
  // Parsed where it lies, the padding simdjson reads past the end zeroed in place, instead of
  // copied into a padded string (a header is read into the same buffer shard after shard).
  const size_t size = json.size();
  json.resize(size + simdjson::SIMDJSON_PADDING);
  dom::object root_object;
  const bool parsed =
      parser().parse(json.data(), size, false).get(root_object) == simdjson::SUCCESS;
  json.resize(size);
  if (!parsed) return false;
  const std::optional<dom::object> root = root_object;
  buffers.names =
      std::make_unique_for_overwrite<char[]>(json.size());  // unescaped names are no longer
  char* names = buffers.names.get();
  std::vector<int64_t>& dims = buffers.dims;
  std::vector<size_t> dims_at;  // where each record's dims start: `dims` may still move
  const size_t first = out.size();
  out.reserve(first + root->size());
  dims_at.reserve(root->size());
  dims.reserve(2 * root->size());  // most tensors are matrices
  for (dom::key_value_pair kv : *root) {
    if (kv.key == "__metadata__") continue;
    TensorRecord& r = out.emplace_back();
    uint64_t begin = 0, end = 0;
    dims_at.push_back(dims.size());
    if (!fields_of(kv.value, data_size, r.dtype, dims, begin, end)) return false;
    std::memcpy(names, kv.key.data(), kv.key.size());
    r.name = std::string_view(names, kv.key.size());
    names += kv.key.size();
    r.file = file;
    r.rank = static_cast<uint32_t>(dims.size() - dims_at.back());
    r.nbytes = end - begin;
    r.data_offset = begin;
  }
  // The overlap rule, on the records' ranges (nbytes = end - begin); repeated names are left
  // to the caller, which matches every name against the index.
  const size_t n = out.size() - first;
  std::vector<uint32_t> by_start(n);
  for (size_t k = 0; k < n; ++k) {
    TensorRecord& r = out[first + k];
    r.shape_data = dims.data() + dims_at[k];
    by_start[k] = static_cast<uint32_t>(k);
  }
  const auto begin_of = [&](uint32_t k) { return out[first + k].data_offset; };
  const auto by_begin = [&](uint32_t a, uint32_t b) { return begin_of(a) < begin_of(b); };
  if (!std::is_sorted(by_start.begin(), by_start.end(), by_begin))
    std::sort(by_start.begin(), by_start.end(), by_begin);
  // Two ranges starting at one offset (an empty tensor's) are left to the reference: which
  // neighbours it compares then depends on the order the sort leaves them in.
  for (size_t k = 1; k < n; ++k) {
    const TensorRecord& prev = out[first + by_start[k - 1]];
    const TensorRecord& cur = out[first + by_start[k]];
    if (cur.data_offset == prev.data_offset) return false;
    if (cur.data_offset < prev.data_offset + prev.nbytes && cur.nbytes != 0 && prev.nbytes != 0)
      return false;
  }
  return true;
}

}  // namespace qcfg::checkpoint
