// A Hugging Face safetensors checkpoint opened for streaming: every shard memory-mapped, tensors
// reached by name without reading the others. Headers are validated by the checkpoint module's
// reader (checkpoint/safetensors.h); pages of a tensor are released after use, so resident memory
// stays near the tensors being worked on, not the model size.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "checkpoint/safetensors.h"
#include "compiler/file_limits.h"

namespace qcfg::runtime {

// A checkpoint that cannot be read; the message names the file (and tensor).
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TensorRef {
  std::string name;
  std::string dtype;  // safetensors dtype: "BF16", "F16", "F32", ...
  std::vector<int64_t> shape;
  std::string file;               // shard file name (relative to the checkpoint directory)
  const uint8_t* data = nullptr;  // in the shard's mapping
  uint64_t nbytes = 0;
  int fd = -1;          // the shard, open for Checkpoint::read
  uint64_t offset = 0;  // of the first byte in the shard file
};

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);  // throws CheckpointError
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

class Checkpoint {
 public:
  // `dir` holds model.safetensors, or model.safetensors.index.json and its shards.
  static Checkpoint open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  bool sharded() const { return sharded_; }
  const std::vector<std::string>& shard_files() const { return shard_files_; }
  // Every tensor, shard by shard in header order.
  const std::vector<TensorRef>& tensors() const { return tensors_; }
  const TensorRef* find(const std::string& name) const;
  uint64_t total_bytes() const;

  // Copies `t`'s bytes into `dst` (t.nbytes) with pread: into page-locked staging this is one copy
  // out of the page cache, where touching the mapping would fault page by page. Thread-safe.
  static void read(const TensorRef& t, void* dst);
  // Lets the kernel drop the pages of `t` from this process (after it has been consumed).
  static void release(const TensorRef& t);

 private:
  std::string dir_;
  bool sharded_ = false;
  std::vector<std::string> shard_files_;
  std::vector<std::unique_ptr<MappedFile>> maps_;
  std::vector<TensorRef> tensors_;
  std::map<std::string, size_t> by_name_;

  void add_shard(checkpoint::SafetensorsHeader header);
};

// The JSON files around a checkpoint (the shard index, config.json, --act-amax) are small; a larger
// one is the wrong file. Parses such a file, read by checkpoint/bounded_file.h (a regular file of
// at most kMaxJsonFileBytes, compiler/file_limits.h). Throws CheckpointError naming the file.
nlohmann::ordered_json read_small_json_file(const std::string& path);

// Bytes per element of the dtypes the runtime quantizes (BF16, F16, F32); 0 for others.
int float_dtype_size(const std::string& dtype);

}  // namespace qcfg::runtime
