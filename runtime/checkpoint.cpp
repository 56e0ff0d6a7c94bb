#include "runtime/checkpoint.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "resolver/safetensors.h"

namespace qcfg::runtime {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

}  // namespace

nlohmann::ordered_json read_small_json_file(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) throw CheckpointError(path + ": cannot open file");
  if (!fs::is_regular_file(st)) throw CheckpointError(path + ": not a regular file");
  const uint64_t size = fs::file_size(path, ec);
  if (!ec && size > kMaxJsonFileBytes)
    throw CheckpointError(path + ": file is " + std::to_string(size) +
                          " bytes, over the size limit (limit " +
                          std::to_string(kMaxJsonFileBytes) +
                          " bytes; index, config and amax files are far smaller: check that this "
                          "is the right file)");
  std::ifstream in(path);
  if (!in) throw CheckpointError(path + ": cannot open file");
  try {
    return nlohmann::ordered_json::parse(in);
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

Checkpoint Checkpoint::open(const std::string& dir) {
  Checkpoint c;
  c.dir_ = dir;
  const fs::path root(dir);
  std::error_code ec;
  if (!fs::is_directory(root, ec))
    throw CheckpointError(dir + ": not a directory (give the checkpoint directory)");
  const fs::path index = root / "model.safetensors.index.json";
  if (fs::exists(index, ec)) {
    c.sharded_ = true;
    // The resolver's reader: shard names outside the checkpoint directory (absolute, `..`) are
    // refused here exactly as `qcfg compile --model` refuses them.
    resolver::ShardMap by_shard;
    try {
      by_shard = resolver::read_safetensors_index(index.string());
    } catch (const resolver::InventoryError& e) {
      throw CheckpointError(e.what());
    }
    for (const auto& [shard, names] : by_shard) c.add_shard(shard);
    for (const auto& [shard, names] : by_shard)
      for (const std::string& name : names) {
        const TensorRef* t = c.find(name);
        if (t == nullptr || t->file != shard)
          throw CheckpointError((root / shard).string() + ": tensor '" + name + "' is listed in " +
                                index.filename().string() + " but not in this shard");
      }
  } else if (fs::exists(root / "model.safetensors", ec)) {
    c.add_shard("model.safetensors");
  } else {
    throw CheckpointError(dir + ": no model.safetensors or model.safetensors.index.json");
  }
  return c;
}

// The resolver's reader validates the header (dtype, shape, offsets in range, no overlap); the
// offsets themselves come from a second parse of the same bytes in the mapping.
void Checkpoint::add_shard(const std::string& file) {
  const std::string path = (fs::path(dir_) / file).string();
  resolver::SafetensorsHeader header;
  try {
    header = resolver::read_safetensors_header(path);
  } catch (const resolver::InventoryError& e) {
    throw CheckpointError(e.what());
  }
  maps_.push_back(std::make_unique<MappedFile>(path));
  const MappedFile& m = *maps_.back();
  if (m.size() != header.file_size) throw CheckpointError(path + ": file changed while reading");
  const uint8_t* base = m.data() + 8 + header.header_size;
  const Json j = Json::parse(m.data() + 8, m.data() + 8 + header.header_size);
  for (resolver::TensorInfo& info : header.tensors) {
    if (by_name_.count(info.name))
      throw CheckpointError(path + ": tensor '" + info.name + "' is also in another shard");
    const uint64_t begin = j.at(info.name).at("data_offsets")[0].get<uint64_t>();
    TensorRef t{
        info.name,    info.dtype,  info.shape, file,
        base + begin, info.nbytes, m.fd(),     static_cast<uint64_t>(base + begin - m.data())};
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
