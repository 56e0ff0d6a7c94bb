// Writing safetensors files whose layout is known before any data exists: the header (names,
// dtypes, shapes, offsets) is written first, then each tensor's bytes go to their place with
// pwrite, from any thread and in any order. The runtime plans every output tensor up front, so
// compute jobs can finish out of order without buffering.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace qcfg::runtime {

struct OutputTensor {
  std::string name;
  std::string dtype;  // safetensors dtype ("BF16", "F8_E4M3", "U8", "I8", "F32", ...)
  std::vector<int64_t> shape;

  uint64_t nbytes() const;
};

// The header text of a file holding `tensors` in that order (padded with spaces to 8 bytes, as
// the safetensors library writes it), and each tensor's byte offset in the data section.
std::string safetensors_header(const std::vector<OutputTensor>& tensors,
                               const std::map<std::string, std::string>& metadata,
                               std::vector<uint64_t>* offsets);

class SafetensorsWriter {
 public:
  // Creates `path` (truncating), writes the header and sizes the file. Throws std::runtime_error
  // naming the file. `durable`: data is flushed to disk by close() (writeback starts with each
  // write); otherwise it may still be in the page cache when close() returns.
  SafetensorsWriter(std::string path, std::vector<OutputTensor> tensors, bool durable = true,
                    const std::map<std::string, std::string>& metadata = {{"format", "pt"}});
  ~SafetensorsWriter();
  SafetensorsWriter(const SafetensorsWriter&) = delete;
  SafetensorsWriter& operator=(const SafetensorsWriter&) = delete;

  const std::vector<OutputTensor>& tensors() const { return tensors_; }
  // Writes tensor `index`'s bytes (exactly its nbytes). Thread-safe.
  void write(size_t index, const void* data, uint64_t nbytes);
  // Flushes and closes; throws when a tensor was never written.
  void close();

 private:
  std::string path_;
  std::vector<OutputTensor> tensors_;
  std::vector<uint64_t> offsets_;  // absolute file offsets
  std::vector<char> written_;
  int fd_ = -1;
  bool durable_;
};

}  // namespace qcfg::runtime
