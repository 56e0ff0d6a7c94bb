#include "checkpoint/tensor_records.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unordered_map>

#include "checkpoint/bounded_file.h"
#include "checkpoint/name_hash.h"
#include "checkpoint/safetensors_fast.h"

namespace qcfg::checkpoint {

TensorInfo TensorRecord::info() const {
  TensorInfo t;
  t.name = name;
  t.dtype = dtype;
  t.shape.assign(shape_data, shape_data + rank);
  t.nbytes = nbytes;
  if (file != nullptr) t.file = *file;
  t.data_offset = data_offset;
  return t;
}

TensorInfo TensorRecord::take() const { return source ? std::move(*source) : info(); }

std::vector<TensorRecord> records_of(std::vector<TensorInfo>& tensors) {
  std::vector<TensorRecord> out(tensors.size());
  for (size_t k = 0; k < tensors.size(); ++k) {
    TensorInfo& t = tensors[k];
    out[k] = {
        t.name,   t.dtype,       &t.file, t.shape.data(), static_cast<uint32_t>(t.shape.size()),
        t.nbytes, t.data_offset, &t};
  }
  return out;
}

namespace {

namespace fs = std::filesystem;

// The index's tensor names, hashed once (open addressing on a power-of-two table): each header
// name is looked up to find its shard, and whether it was met already.
class IndexTable {
 public:
  explicit IndexTable(size_t n) : slots_(std::bit_ceil(2 * n + 2), 0), mask_(slots_.size() - 1) {
    names_.reserve(n);
    shard_.reserve(n);
  }

  // False when `name` is there already (a repeated tensor: the reference decides).
  bool insert(std::string_view name, uint32_t shard) {
    for (size_t at = hash(name) & mask_;; at = (at + 1) & mask_) {
      if (slots_[at] == 0) {
        names_.push_back(name);
        shard_.push_back(shard);
        slots_[at] = static_cast<uint32_t>(names_.size());
        return true;
      }
      if (names_[slots_[at] - 1] == name) return false;
    }
  }

  // The entry of `name`, or -1.
  int64_t find(std::string_view name) const {
    for (size_t at = hash(name) & mask_;; at = (at + 1) & mask_) {
      if (slots_[at] == 0) return -1;
      if (names_[slots_[at] - 1] == name) return slots_[at] - 1;
    }
  }

  uint32_t shard(size_t entry) const { return shard_[entry]; }
  size_t size() const { return names_.size(); }

 private:
  static uint64_t hash(std::string_view s) { return name_hash(s); }

  std::vector<uint32_t> slots_;  // entry + 1, 0 for empty
  size_t mask_;
  std::vector<std::string_view> names_;
  std::vector<uint32_t> shard_;
};

// read_safetensors_header's reading of a file, declining (false) where it would throw.
bool read_header_text(const std::string& path, std::string& text, uint64_t& data_size) {
  std::error_code ec;
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec || file_size < 8) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  char len[8];
  if (!in.read(len, 8)) return false;
  uint64_t length = 0;
  for (int i = 7; i >= 0; --i) length = (length << 8) | static_cast<unsigned char>(len[i]);
  if (length > file_size - 8 || length > kMaxSafetensorsHeaderBytes) return false;
  text.resize(length);
  in.read(text.data(), static_cast<std::streamsize>(length));
  if (static_cast<uint64_t>(in.gcount()) != length) return false;
  data_size = file_size - 8 - length;
  return true;
}

}  // namespace

bool read_indexed_records(const std::string& dir, RecordedTensors& out) {
  const fs::path root(dir);
  std::error_code ec;
  const fs::path index_path = root / kIndexFile;
  if (!fs::exists(index_path, ec)) return false;
  std::string text;
  try {
    text = read_bounded_file(index_path.string(), kMaxJsonFileBytes);
  } catch (const LocatedError&) {
    return false;  // read again, and reported, by the reference path
  }
  const auto index_names = std::make_unique_for_overwrite<char[]>(text.size());
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  if (!index_pairs_fast(text, index_names.get(), pairs)) return false;

  // Shards numbered in order of first mention; each distinct name checked as the reference does.
  std::unordered_map<std::string_view, uint32_t, NameHash> shard_of;
  std::vector<size_t> listed;  // tensors the index gives each shard
  IndexTable table(pairs.size());
  std::string_view previous;
  uint32_t shard = 0;
  for (const auto& [name, file] : pairs) {
    if (listed.empty() || file != previous) {
      auto [it, fresh] = shard_of.try_emplace(file, static_cast<uint32_t>(out.files.size()));
      if (fresh) {
        out.files.emplace_back(file);
        if (!plain_relative_path(out.files.back())) return false;
        listed.push_back(0);
      }
      previous = file;
      shard = it->second;
    }
    if (!table.insert(name, shard)) return false;
    ++listed[shard];
  }
  if (out.files.empty()) return false;  // the reference's empty map: no shards, no tensors

  // The headers, read by two threads as read_checkpoint_files does; each header name must be one
  // the index gives this shard, met once; then the shard has exactly its listed tensors.
  const size_t shards = out.files.size();
  out.shards.resize(shards);
  std::vector<std::vector<TensorRecord>> records(shards);
  std::vector<uint8_t> met(table.size(), 0);  // one byte per entry: threads write distinct ones
  std::atomic<size_t> next{0};
  std::atomic<bool> declined{false};
  const auto work = [&] {
    std::string header;
    for (size_t k; !declined.load(std::memory_order_relaxed) && (k = next.fetch_add(1)) < shards;) {
      uint64_t data_size = 0;
      const std::string path = (root / out.files[k]).string();
      bool ok = read_header_text(path, header, data_size) &&
                header_records_fast(header, data_size, &out.files[k], out.shards[k], records[k]);
      for (size_t i = 0; ok && i < records[k].size(); ++i) {
        const int64_t e = table.find(records[k][i].name);
        ok = e >= 0 && table.shard(static_cast<size_t>(e)) == k && !met[static_cast<size_t>(e)];
        if (ok) met[static_cast<size_t>(e)] = 1;
      }
      if (!ok || records[k].size() != listed[k]) declined = true;
    }
  };
  std::thread helper(work);
  work();
  helper.join();
  if (declined) return false;
  out.tensors.reserve(pairs.size());
  for (const std::vector<TensorRecord>& r : records)
    out.tensors.insert(out.tensors.end(), r.begin(), r.end());
  return true;
}

}  // namespace qcfg::checkpoint
