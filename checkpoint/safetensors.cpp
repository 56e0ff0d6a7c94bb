#include "checkpoint/safetensors.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "checkpoint/bounded_file.h"
#include "checkpoint/safetensors_fast.h"

namespace qcfg::checkpoint {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// The safetensors library refuses headers above 100 MB; so does qcfg.
constexpr uint64_t kMaxHeaderSize = kMaxSafetensorsHeaderBytes;

// Where a problem is: the file, and a byte of it as line:col (the JSON header is text; the
// 8-byte length prefix counts as the start of line 1).
struct HeaderText {
  const std::string& path;
  std::string_view file_start;  // the length prefix and as much of the header as was read
};

std::string located(const HeaderText& h, size_t offset) {
  return text_location(h.path, h.file_start, offset);
}

// A name as JSON writes it (to find it in the header text); never throws.
std::string quoted(const std::string& name) {
  return Json(name).dump(-1, ' ', false, Json::error_handler_t::replace);
}

[[noreturn]] void fail_at(const HeaderText& h, size_t offset, const std::string& message) {
  throw LocatedError(located(h, offset), message);
}

// A tensor's problems point at its name in the header (the first `"name"` written plainly).
[[noreturn]] void fail_tensor(const HeaderText& h, const std::string& tensor,
                              const std::string& message) {
  const size_t at = h.file_start.find(quoted(tensor), 8);
  fail_at(h, at == std::string_view::npos ? 8 : at, "tensor '" + tensor + "': " + message);
}

uint64_t read_le64(const unsigned char* b) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// The header length the first 8 bytes announce, checked against the file size.
uint64_t header_length(const HeaderText& h, uint64_t file_size) {
  if (file_size < 8)
    fail_at(h, 0,
            "file is " + std::to_string(file_size) +
                " bytes, too short for the 8-byte safetensors header length");
  const uint64_t length = read_le64(reinterpret_cast<const unsigned char*>(h.file_start.data()));
  if (length > file_size - 8)
    fail_at(h, 0,
            "header length " + std::to_string(length) + " exceeds the file size (" +
                std::to_string(file_size) + " bytes)");
  if (length > kMaxHeaderSize)
    fail_at(h, 0, "header length " + std::to_string(length) + " is above the 100 MB limit");
  return length;
}

// Elements of `shape` times `bits`, in bits; false when that does not fit in 64 bits.
bool checked_bit_size(const std::vector<int64_t>& shape, int bits, uint64_t& total) {
  total = static_cast<uint64_t>(bits);
  for (int64_t d : shape) {
    const auto ud = static_cast<uint64_t>(d);
    if (ud != 0 && total > std::numeric_limits<uint64_t>::max() / ud) return false;
    total *= ud;
  }
  return true;
}

TensorInfo parse_tensor_entry(const HeaderText& h, const std::string& name, const Json& j,
                              uint64_t data_size) {
  if (!j.is_object()) fail_tensor(h, name, "entry is not an object");
  TensorInfo t;
  t.name = name;
  t.file = fs::path(h.path).filename().string();
  auto dtype = j.find("dtype");
  if (dtype == j.end() || !dtype->is_string()) fail_tensor(h, name, "missing `dtype`");
  t.dtype = dtype->get<std::string>();
  const int bits = dtype_bits(t.dtype);
  if (bits == 0) fail_tensor(h, name, "unknown dtype '" + t.dtype + "'");
  auto shape = j.find("shape");
  if (shape == j.end() || !shape->is_array()) fail_tensor(h, name, "missing `shape`");
  for (const Json& d : *shape) {
    if (!d.is_number_unsigned() || d.get<uint64_t>() > uint64_t{INT64_MAX})
      fail_tensor(h, name, "shape " + shape->dump() + " is invalid");
    t.shape.push_back(d.get<int64_t>());
  }
  auto offsets = j.find("data_offsets");
  if (offsets == j.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned())
    fail_tensor(h, name, "`data_offsets` must be two non-negative integers");
  const auto begin = (*offsets)[0].get<uint64_t>();
  const auto end = (*offsets)[1].get<uint64_t>();
  if (begin > end) fail_tensor(h, name, "data_offsets " + offsets->dump() + " are reversed");
  if (end > data_size)
    fail_tensor(h, name,
                "data_offsets " + offsets->dump() + " run past the data section (" +
                    std::to_string(data_size) + " bytes)");
  uint64_t size_bits = 0;
  if (!checked_bit_size(t.shape, bits, size_bits))
    fail_tensor(h, name, "shape " + shape->dump() + " x dtype " + t.dtype + " overflows 64 bits");
  if (size_bits % 8 != 0 || size_bits / 8 != end - begin)
    fail_tensor(h, name,
                "byte size " + std::to_string(end - begin) + " does not match dtype " + t.dtype +
                    " x shape " + shape->dump() + " (" + std::to_string(size_bits / 8) + " bytes)");
  t.nbytes = end - begin;
  t.data_offset = begin;
  return t;
}

void check_no_overlap(const HeaderText& h, const std::vector<TensorInfo>& tensors,
                      const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ranges[a].first < ranges[b].first; });
  for (size_t k = 1; k < order.size(); ++k) {
    const auto& prev = ranges[order[k - 1]];
    const auto& cur = ranges[order[k]];
    if (cur.first < prev.second && cur.first != cur.second && prev.first != prev.second)
      fail_tensor(h, tensors[order[k]].name,
                  "data overlaps tensor '" + tensors[order[k - 1]].name + "'");
  }
}

}  // namespace

std::string text_location(const std::string& path, std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return path + ":" + std::to_string(line) + ":" + std::to_string(offset - line_start + 1);
}

// A short table searched in order (every tensor of every header asks: a std::map of strings
// cost a tenth of reading a header).
namespace {
constexpr std::pair<std::string_view, int> kDtypeBits[] = {
    {"BF16", 16},   {"F8_E4M3", 8}, {"F32", 32}, {"F16", 16},    {"F8_E5M2", 8},
    {"F8_E8M0", 8}, {"BOOL", 8},    {"U8", 8},   {"I8", 8},      {"I16", 16},
    {"U16", 16},    {"I32", 32},    {"U32", 32}, {"F64", 64},    {"I64", 64},
    {"U64", 64},    {"C64", 64},    {"F4", 4},   {"F6_E2M3", 6}, {"F6_E3M2", 6}};
}  // namespace

int dtype_bits(std::string_view dtype) {
  for (const auto& [name, bits] : kDtypeBits)
    if (name == dtype) return bits;
  return 0;
}

std::string_view dtype_name(std::string_view dtype) {
  for (const auto& entry : kDtypeBits)
    if (entry.first == dtype) return entry.first;
  return {};
}

namespace {

// Validates the JSON header of a file whose first bytes are `file_start` (length prefix and
// header) and whose size is `file_size`.
SafetensorsHeader parse_header(const std::string& path, std::string_view file_start,
                               uint64_t file_size) {
  const HeaderText where{path, file_start};
  SafetensorsHeader h;
  h.path = path;
  h.file_size = file_size;
  h.header_size = header_length(where, file_size);
  if (file_start.size() < 8 + h.header_size) fail_at(where, 8, "cannot read the header");
  const uint64_t data_size = file_size - 8 - h.header_size;
  if (auto fast = header_tensors_fast(file_start.substr(8, h.header_size), data_size,
                                      fs::path(path).filename().string())) {
    h.tensors = std::move(*fast);
    return h;
  }
  // The reference reader: what the fast one leaves to it, with the located diagnostics.
  Json j;
  try {
    j = Json::parse(file_start.substr(8, h.header_size));
  } catch (const Json::parse_error& e) {
    fail_at(where, 8 + (e.byte > 0 ? e.byte - 1 : 0),
            std::string("header is not valid JSON: ") + e.what());
  } catch (const std::exception& e) {
    fail_at(where, 8, std::string("header is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) fail_at(where, 8, "header is not a JSON object");
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    h.tensors.push_back(parse_tensor_entry(where, it.key(), it.value(), data_size));
    const Json& offsets = it.value()["data_offsets"];
    ranges.emplace_back(offsets[0].get<uint64_t>(), offsets[1].get<uint64_t>());
  }
  check_no_overlap(where, h.tensors, ranges);
  return h;
}

}  // namespace

SafetensorsHeader read_safetensors_header(const std::string& path) {
  std::error_code ec;
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec) throw LocatedError(path, "cannot read file: " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LocatedError(path, "cannot open file");
  std::string start(std::min<uint64_t>(file_size, 8), '\0');
  in.read(start.data(), static_cast<std::streamsize>(start.size()));
  if (start.size() == 8) {
    const uint64_t length = header_length(HeaderText{path, start}, file_size);
    start.resize(8 + length);
    in.read(start.data() + 8, static_cast<std::streamsize>(length));
    start.resize(8 + static_cast<size_t>(in.gcount()));
  }
  return parse_header(path, start, file_size);
}

SafetensorsHeader parse_safetensors_bytes(const std::string& path, std::string_view bytes) {
  return parse_header(path, bytes, bytes.size());
}

// Symlinked shards, as the Hugging Face cache makes them, are fine: they are only read.
bool plain_relative_path(const std::string& name) {
  const fs::path p(name);
  if (name.empty() || p.has_root_path() || name.find('\0') != std::string::npos) return false;
  for (const fs::path& part : p) {
    if (part == "..") return false;
  }
  return p.has_filename();
}

ShardMap read_safetensors_index(const std::string& index_path) {
  return parse_safetensors_index(index_path, read_bounded_file(index_path, kMaxJsonFileBytes));
}

ShardMap parse_safetensors_index(const std::string& index_path, const std::string& text) {
  if (std::optional<ShardMap> fast = shard_map_fast(text)) return *std::move(fast);
  // The reference reader: what the fast one leaves to it, with the located diagnostics.
  const HeaderText where{index_path, text};
  Json index;
  try {
    index = Json::parse(text);
  } catch (const Json::parse_error& e) {
    fail_at(where, e.byte > 0 ? e.byte - 1 : 0, std::string("invalid JSON: ") + e.what());
  } catch (const std::exception& e) {
    fail_at(where, 0, std::string("invalid JSON: ") + e.what());
  }
  auto map = index.is_object() ? index.find("weight_map") : index.end();
  if (map == index.end() || !map->is_object()) fail_at(where, 0, "missing `weight_map`");
  ShardMap by_shard;
  for (auto it = map->begin(); it != map->end(); ++it) {
    // Searched only for a message: searching for every key made large indexes quadratic.
    auto key_at = [&] { return text.find(quoted(it.key())); };
    if (!it->is_string())
      fail_at(where, key_at(), "weight_map['" + it.key() + "'] is not a file name");
    const std::string shard = it->get<std::string>();
    if (!plain_relative_path(shard))
      fail_at(where, key_at(),
              "weight_map['" + it.key() + "'] names '" + shard +
                  "', which is not a file inside the checkpoint directory");
    by_shard[shard].push_back(it.key());
  }
  return by_shard;
}

namespace {

// The headers of `paths`, read by two threads (a checkpoint has up to hundreds of shards, each
// header a JSON document of thousands of tensors): shard k's header, or the error reading it
// raised, at k. Errors are rethrown by the caller in shard order, as one thread would meet them.
struct ShardRead {
  SafetensorsHeader header;
  std::exception_ptr error;
};
std::vector<ShardRead> read_headers(const std::vector<std::string>& paths) {
  std::vector<ShardRead> out(paths.size());
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t k; (k = next.fetch_add(1)) < paths.size();) {
      try {
        out[k].header = read_safetensors_header(paths[k]);
      } catch (...) {
        out[k].error = std::current_exception();
      }
    }
  };
  if (paths.size() < 2) {
    work();
    return out;
  }
  std::thread helper(work);
  work();
  helper.join();
  return out;
}

// True when a shard lists exactly its header's tensors, in order (the usual case: both sorted).
bool same_names(const std::vector<std::string>& names, const std::vector<TensorInfo>& tensors) {
  if (names.size() != tensors.size()) return false;
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] != tensors[i].name) return false;
  return true;
}

}  // namespace

CheckpointFiles read_checkpoint_files(const std::string& dir) {
  const fs::path root(dir);
  std::error_code ec;
  const fs::path index = root / kIndexFile;
  const fs::path single = root / kSingleFile;
  CheckpointFiles files;
  if (fs::exists(index, ec)) {
    files.sharded = true;
    files.index = read_safetensors_index(index.string());
    std::vector<std::string> paths;
    for (const auto& entry : files.index) paths.push_back((root / entry.first).string());
    std::vector<ShardRead> read = read_headers(paths);
    size_t k = 0;
    for (const auto& [shard, names] : files.index) {
      ShardRead& r = read[k++];
      if (r.error) std::rethrow_exception(r.error);
      SafetensorsHeader& h = files.shards.emplace_back(std::move(r.header));
      if (same_names(names, h.tensors)) continue;
      std::unordered_set<std::string_view> present;  // hashed: 163 shards of thousands of names
      present.reserve(h.tensors.size());
      for (const TensorInfo& t : h.tensors) present.insert(t.name);
      for (const std::string& n : names)
        if (!present.count(n))
          throw LocatedError(h.path, "tensor '" + n + "' is listed in " + std::string(kIndexFile) +
                                         " but not in this shard");
    }
  } else if (fs::exists(single, ec)) {
    files.shards.push_back(read_safetensors_header(single.string()));
  } else {
    throw LocatedError(dir, "no model.safetensors or model.safetensors.index.json");
  }
  return files;
}

std::vector<TensorInfo> indexed_tensors(CheckpointFiles files) {
  if (!files.sharded) return std::move(files.shards.front().tensors);
  std::vector<TensorInfo> all;
  size_t total = 0;
  for (const SafetensorsHeader& h : files.shards) total += h.tensors.size();
  all.reserve(total);
  size_t k = 0;
  for (const auto& [shard, names] : files.index) {
    SafetensorsHeader& h = files.shards[k++];
    if (same_names(names, h.tensors)) {
      for (TensorInfo& t : h.tensors) all.push_back(std::move(t));
      continue;
    }
    std::unordered_map<std::string_view, size_t> at;
    at.reserve(h.tensors.size());
    for (size_t i = 0; i < h.tensors.size(); ++i) at.emplace(h.tensors[i].name, i);
    std::vector<size_t> picked;
    for (const std::string& n : names) picked.push_back(at.at(n));
    for (size_t i : picked) all.push_back(std::move(h.tensors[i]));
  }
  return all;
}

}  // namespace qcfg::checkpoint
