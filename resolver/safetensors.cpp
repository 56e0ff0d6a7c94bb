#include "resolver/safetensors.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace qcfg::resolver {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// The safetensors library refuses headers above 100 MB; so does qcfg.
constexpr uint64_t kMaxHeaderSize = 100'000'000;

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw InventoryError(path + ": " + message);
}

[[noreturn]] void fail_tensor(const std::string& path, const std::string& tensor,
                              const std::string& message) {
  throw InventoryError(path + ": tensor '" + tensor + "': " + message);
}

uint64_t read_le64(const unsigned char* b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

std::string read_header_text(const std::string& path, SafetensorsHeader& h) {
  std::error_code ec;
  h.file_size = fs::file_size(path, ec);
  if (ec) fail(path, "cannot read file: " + ec.message());
  if (h.file_size < 8)
    fail(path, "file is " + std::to_string(h.file_size) +
                   " bytes, too short for the 8-byte safetensors header length");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open file");
  unsigned char len[8];
  in.read(reinterpret_cast<char*>(len), 8);
  h.header_size = read_le64(len);
  if (h.header_size > h.file_size - 8)
    fail(path, "header length " + std::to_string(h.header_size) + " exceeds the file size (" +
                   std::to_string(h.file_size) + " bytes)");
  if (h.header_size > kMaxHeaderSize)
    fail(path, "header length " + std::to_string(h.header_size) + " is above the 100 MB limit");
  std::string text(h.header_size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(h.header_size));
  if (!in) fail(path, "cannot read the header");
  return text;
}

bool checked_numel(const std::vector<int64_t>& shape, uint64_t& numel) {
  numel = 1;
  for (int64_t d : shape) {
    const auto ud = static_cast<uint64_t>(d);
    if (ud != 0 && numel > std::numeric_limits<uint64_t>::max() / 8 / ud) return false;
    numel *= ud;
  }
  return true;
}

TensorInfo parse_tensor_entry(const std::string& path, const std::string& name, const Json& j,
                              uint64_t data_size) {
  if (!j.is_object()) fail_tensor(path, name, "entry is not an object");
  TensorInfo t;
  t.name = name;
  t.file = fs::path(path).filename().string();
  auto dtype = j.find("dtype");
  if (dtype == j.end() || !dtype->is_string()) fail_tensor(path, name, "missing `dtype`");
  t.dtype = dtype->get<std::string>();
  const int bits = dtype_bits(t.dtype);
  if (bits == 0) fail_tensor(path, name, "unknown dtype '" + t.dtype + "'");
  auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array()) fail_tensor(path, name, "missing `shape`");
  for (const Json& d : *shape) {
    if (!d.is_number_unsigned()) fail_tensor(path, name, "shape " + shape->dump() + " is invalid");
    t.shape.push_back(d.get<int64_t>());
  }
  auto offsets = j.find("data_offsets");
  if (offsets == j.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
    fail_tensor(path, name, "`data_offsets` must be two non-negative integers");
  const auto begin = (*offsets)[0].get<uint64_t>();
  const auto end = (*offsets)[1].get<uint64_t>();
  if (begin > end) fail_tensor(path, name, "data_offsets " + offsets->dump() + " are reversed");
  if (end > data_size)
    fail_tensor(path, name,
                "data_offsets " + offsets->dump() + " run past the data section (" +
                    std::to_string(data_size) + " bytes)");
  uint64_t numel = 0;
  if (!checked_numel(t.shape, numel)) fail_tensor(path, name, "shape is too large");
  if ((numel * bits) % 8 != 0 || numel * bits / 8 != end - begin)
    fail_tensor(path, name,
                "byte size " + std::to_string(end - begin) + " does not match dtype " + t.dtype +
                    " x shape " + shape->dump() + " (" + std::to_string(numel * bits / 8) +
                    " bytes)");
  t.nbytes = end - begin;
  return t;
}

void check_no_overlap(const std::string& path, const std::vector<TensorInfo>& tensors,
                      const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ranges[a].first < ranges[b].first; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = ranges[order[k - 1]];
    const auto& cur = ranges[order[k]];
    if (cur.first < prev.second && cur.first != cur.second && prev.first != prev.second)
      fail_tensor(path, tensors[order[k]].name,
                  "data overlaps tensor '" + tensors[order[k - 1]].name + "'");
  }
}

}  // namespace

int dtype_bits(const std::string& dtype) {
  static const std::map<std::string, int> bits = {
      {"BOOL", 8},    {"U8", 8},   {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8},
      {"F8_E8M0", 8}, {"I16", 16}, {"U16", 16}, {"F16", 16},    {"BF16", 16},
      {"I32", 32},    {"U32", 32}, {"F32", 32}, {"F64", 64},    {"I64", 64},
      {"U64", 64},    {"C64", 64}, {"F4", 4},   {"F6_E2M3", 6}, {"F6_E3M2", 6}};
  auto it = bits.find(dtype);
  return it == bits.end() ? 0 : it->second;
}

SafetensorsHeader read_safetensors_header(const std::string& path) {
  SafetensorsHeader h;
  h.path = path;
  const std::string text = read_header_text(path, h);
  Json j;
  try {
    j = Json::parse(text);
  } catch (const std::exception& e) {
    fail(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail(path, "header is not a JSON object");
  const uint64_t data_size = h.file_size - 8 - h.header_size;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    h.tensors.push_back(parse_tensor_entry(path, it.key(), it.value(), data_size));
    const Json& offsets = it.value()["data_offsets"];
    ranges.emplace_back(offsets[0].get<uint64_t>(), offsets[1].get<uint64_t>());
  }
  check_no_overlap(path, h.tensors, ranges);
  return h;
}

namespace {

std::optional<CheckpointConfig> read_config(const fs::path& dir) {
  const fs::path file = dir / "config.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::ifstream in(file);
  Json j;
  try {
    j = Json::parse(in);
  } catch (const std::exception& e) {
    throw InventoryError(file.string() + ": invalid JSON: " + e.what());
  }
  CheckpointConfig c;
  if (auto a = j.find("architectures");
      a != j.end() && a->is_array() && !a->empty() && (*a)[0].is_string())
    c.architecture = (*a)[0].get<std::string>();
  auto vocab_of = [](const Json& o) -> int64_t {
    auto v = o.find("vocab_size");
    return v != o.end() && v->is_number_integer() ? v->get<int64_t>() : 0;
  };
  c.vocab_size = vocab_of(j);
  if (c.vocab_size == 0)
    if (auto t = j.find("text_config"); t != j.end() && t->is_object()) c.vocab_size = vocab_of(*t);
  return c;
}

// Shards named by model.safetensors.index.json, each read once; every tensor the index names
// must be in its shard.
std::vector<TensorInfo> read_sharded(const fs::path& dir, const fs::path& index_file) {
  std::ifstream in(index_file);
  Json index;
  try {
    index = Json::parse(in);
  } catch (const std::exception& e) {
    throw InventoryError(index_file.string() + ": invalid JSON: " + e.what());
  }
  auto map = index.find("weight_map");
  if (map == index.end() || !map->is_object())
    throw InventoryError(index_file.string() + ": missing `weight_map`");
  std::map<std::string, std::vector<std::string>> by_shard;
  for (auto it = map->begin(); it != map->end(); ++it) {
    if (!it->is_string())
      throw InventoryError(index_file.string() + ": weight_map['" + it.key() + "'] is not a file");
    by_shard[it->get<std::string>()].push_back(it.key());
  }
  std::vector<TensorInfo> all;
  for (const auto& [shard, names] : by_shard) {
    SafetensorsHeader h = read_safetensors_header((dir / shard).string());
    std::map<std::string, size_t> present;
    for (size_t i = 0; i < h.tensors.size(); ++i) present[h.tensors[i].name] = i;
    for (const std::string& n : names) {
      auto p = present.find(n);
      if (p == present.end())
        throw InventoryError(h.path + ": tensor '" + n + "' is listed in " +
                             index_file.filename().string() + " but not in this shard");
      all.push_back(std::move(h.tensors[p->second]));
    }
  }
  return all;
}

}  // namespace

Inventory inventory_from_checkpoint(const std::string& path) {
  const fs::path p(path);
  std::error_code ec;
  if (!fs::is_directory(p, ec)) {
    SafetensorsHeader h = read_safetensors_header(path);
    return inventory_from_tensors(std::move(h.tensors), read_config(p.parent_path()), path);
  }
  const fs::path index = p / "model.safetensors.index.json";
  const fs::path single = p / "model.safetensors";
  std::vector<TensorInfo> tensors;
  if (fs::exists(index, ec)) {
    tensors = read_sharded(p, index);
  } else if (fs::exists(single, ec)) {
    tensors = read_safetensors_header(single.string()).tensors;
  } else {
    throw InventoryError(path + ": no model.safetensors or model.safetensors.index.json");
  }
  return inventory_from_tensors(std::move(tensors), read_config(p), path);
}

}  // namespace qcfg::resolver
