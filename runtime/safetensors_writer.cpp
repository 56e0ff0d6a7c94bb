#include "runtime/safetensors_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "checkpoint/safetensors.h"

namespace qcfg::runtime {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what + ": " + std::strerror(errno));
}

void write_all_at(int fd, const std::string& path, const void* data, uint64_t n, uint64_t at) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(at));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(path, "cannot write");
    }
    p += w;
    n -= static_cast<uint64_t>(w);
    at += static_cast<uint64_t>(w);
  }
}

}  // namespace

uint64_t OutputTensor::nbytes() const {
  uint64_t n = 1;
  for (int64_t d : shape) n *= static_cast<uint64_t>(d);
  return n * static_cast<uint64_t>(checkpoint::dtype_bits(dtype)) / 8;
}

std::string safetensors_header(const std::vector<OutputTensor>& tensors,
                               const std::map<std::string, std::string>& metadata,
                               std::vector<uint64_t>* offsets) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (!metadata.empty()) j["__metadata__"] = metadata;
  uint64_t at = 0;
  for (const OutputTensor& t : tensors) {
    const uint64_t n = t.nbytes();
    j[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {at, at + n}}};
    if (offsets != nullptr) offsets->push_back(at);
    at += n;
  }
  std::string text = j.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  return text;
}

SafetensorsWriter::SafetensorsWriter(std::string path, std::vector<OutputTensor> tensors,
                                     bool durable,
                                     const std::map<std::string, std::string>& metadata)
    : path_(std::move(path)),
      tensors_(std::move(tensors)),
      written_(tensors_.size(), 0),
      durable_(durable) {
  const std::string header = safetensors_header(tensors_, metadata, &offsets_);
  const uint64_t data_start = 8 + header.size();
  uint64_t end = data_start;
  for (size_t i = 0; i < tensors_.size(); ++i) {
    offsets_[i] += data_start;
    end = offsets_[i] + tensors_[i].nbytes();
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(path_, "cannot create");
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(header.size() >> (8 * i));
  write_all_at(fd_, path_, len, 8, 0);
  write_all_at(fd_, path_, header.data(), header.size(), 8);
  if (::ftruncate(fd_, static_cast<off_t>(end)) != 0) fail(path_, "cannot size");
  for (size_t i = 0; i < tensors_.size(); ++i)
    if (tensors_[i].nbytes() == 0) written_[i] = 1;
}

SafetensorsWriter::~SafetensorsWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void SafetensorsWriter::write(size_t index, const void* data, uint64_t nbytes) {
  if (index >= tensors_.size() || nbytes != tensors_[index].nbytes())
    throw std::logic_error(path_ + ": tensor write of the wrong size");
  write_all_at(fd_, path_, data, nbytes, offsets_[index]);
  // Start writeback now (asynchronously) so that close()'s fsync finds little left to flush;
  // an error here only loses that head start, fsync still reports real failures.
  if (durable_)
    ::sync_file_range(fd_, static_cast<off_t>(offsets_[index]), static_cast<off_t>(nbytes),
                      SYNC_FILE_RANGE_WRITE);
  written_[index] = 1;
}

void SafetensorsWriter::close() {
  for (size_t i = 0; i < tensors_.size(); ++i)
    if (!written_[i])
      throw std::logic_error(path_ + ": tensor '" + tensors_[i].name + "' was never written");
  if (durable_ && ::fsync(fd_) != 0) fail(path_, "cannot flush");
  if (::close(fd_) != 0) fail(path_, "cannot close");
  fd_ = -1;
}

}  // namespace qcfg::runtime
