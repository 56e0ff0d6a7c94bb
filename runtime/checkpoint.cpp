#include "runtime/checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checkpoint/bounded_file.h"

namespace qcfg::runtime {
namespace {

namespace fs = std::filesystem;

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

nlohmann::ordered_json read_small_json_file(const std::string& path) {
  std::string text;
  try {
    text = checkpoint::read_bounded_file(path, kMaxJsonFileBytes);
  } catch (const checkpoint::LocatedError& e) {
    throw CheckpointError(e.what());
  }
  try {
    return nlohmann::ordered_json::parse(text);
  } catch (const std::exception& e) {
    throw CheckpointError(path + ": invalid JSON: " + e.what());
  }
}

int float_dtype_size(const std::string& dtype) {
  if (dtype == "BF16" || dtype == "F16") return 2;
  if (dtype == "F32") return 4;
  return 0;
}

MappedFile::MappedFile(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw CheckpointError(path + ": cannot open: " + std::strerror(errno));
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    throw CheckpointError(path + ": " + what + ": " + reason);
  };
  struct stat st {};
  if (::fstat(fd_, &st) != 0) fail("cannot stat");
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (p == MAP_FAILED) fail("cannot map");
    data_ = static_cast<const uint8_t*>(p);
    ::madvise(p, size_, MADV_SEQUENTIAL);
  }
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
  ::close(fd_);
}

// The checkpoint module's reader validates the index (shard names inside the directory, every
// listed tensor in its shard) and each header (dtype, shape, offsets in range, no overlap)
// exactly as `qcfg compile --model` does; the offsets it returns locate the tensors in the maps.
Checkpoint Checkpoint::open(const std::string& dir) {
  Checkpoint c;
  c.dir_ = dir;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw CheckpointError(dir + ": not a directory (give the checkpoint directory)");
  checkpoint::CheckpointFiles files;
  try {
    files = checkpoint::read_checkpoint_files(dir);
  } catch (const checkpoint::LocatedError& e) {
    throw CheckpointError(e.what());
  }
  c.sharded_ = files.sharded;
  for (checkpoint::SafetensorsHeader& header : files.shards) c.add_shard(std::move(header));
  return c;
}

void Checkpoint::add_shard(checkpoint::SafetensorsHeader header) {
  const std::string& path = header.path;
  const std::string file = fs::path(path).filename().string();
  maps_.push_back(std::make_unique<MappedFile>(path));
  const MappedFile& m = *maps_.back();
  if (m.size() != header.file_size) throw CheckpointError(path + ": file changed while reading");
  const uint8_t* base = m.data() + 8 + header.header_size;
  for (checkpoint::TensorInfo& info : header.tensors) {
    if (by_name_.count(info.name))
      throw CheckpointError(path + ": tensor '" + info.name + "' is also in another shard");
    TensorRef t{info.name,
                info.dtype,
                info.shape,
                file,
                base + info.data_offset,
                info.nbytes,
                m.fd(),
                8 + header.header_size + info.data_offset};
    by_name_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
  }
  shard_files_.push_back(file);
}

const TensorRef* Checkpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &tensors_[it->second];
}

uint64_t Checkpoint::total_bytes() const {
  uint64_t sum = 0;
  for (const TensorRef& t : tensors_) sum += t.nbytes;
  return sum;
}

void Checkpoint::read(const TensorRef& t, void* dst) {
  auto* out = static_cast<uint8_t*>(dst);
  uint64_t done = 0;
  while (done < t.nbytes) {
    const ssize_t n =
        ::pread(t.fd, out + done, t.nbytes - done, static_cast<off_t>(t.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw CheckpointError(t.file + ": cannot read tensor '" + t.name +
                            "': " + (n == 0 ? "file truncated" : std::strerror(errno)));
    done += static_cast<uint64_t>(n);
  }
}

void Checkpoint::release(const TensorRef& t) {
  // Whole pages inside the tensor only: neighbours may still be in use by another job.
  const auto begin = reinterpret_cast<uintptr_t>(t.data);
  const uintptr_t first = (begin + page_size() - 1) / page_size() * page_size();
  const uintptr_t last = (begin + t.nbytes) / page_size() * page_size();
  if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

}  // namespace qcfg::runtime
