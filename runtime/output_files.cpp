#include "runtime/output_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "runtime/apply.h"
#include "runtime/checkpoint.h"

namespace qcfg::runtime {

namespace fs = std::filesystem;

StagingDir::StagingDir(const std::string& target) : target_(target) {
  const fs::path t = fs::absolute(target);
  path_ = (t.parent_path() /
           ("." + t.filename().string() + ".qcfg-partial-" + std::to_string(::getpid())))
              .string();
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (!fs::create_directories(path_, ec) || ec)
    throw ApplyError(path_ + ": cannot create the temporary output directory: " + ec.message());
}

StagingDir::~StagingDir() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string StagingDir::file(const std::string& name) const {
  return (fs::path(path_) / name).string();
}

void StagingDir::commit() {
  std::error_code ec;
  fs::rename(path_, target_, ec);
  if (ec)
    throw ApplyError(target_ + ": cannot move the finished output into place: " + ec.message());
  committed_ = true;
}

void check_output_path(const std::string& model_dir, const std::string& out) {
  std::error_code ec;
  const fs::path in = fs::weakly_canonical(fs::absolute(model_dir), ec);
  const fs::path o = fs::weakly_canonical(fs::absolute(out), ec);
  const std::string in_s = in.string() + "/";
  if (o == in || (o.string() + "/").rfind(in_s, 0) == 0)
    throw ApplyError(out + ": the output must not be the input checkpoint or inside it");
  if (fs::exists(o, ec))
    throw ApplyError(out + ": already exists; remove it or choose another --out");
  if (!fs::is_directory(o.parent_path(), ec))
    throw ApplyError(out + ": parent directory " + o.parent_path().string() + " does not exist");
}

void copy_other_files(const std::string& from, const std::string& to,
                      const std::set<std::string>& skip) {
  for (const fs::directory_entry& e : fs::directory_iterator(from)) {
    const std::string name = e.path().filename().string();
    if (skip.count(name)) continue;
    std::error_code ec;
    fs::copy(e.path(), fs::path(to) / name,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) throw ApplyError(e.path().string() + ": cannot copy: " + ec.message());
  }
}

void write_json_file(const std::string& path, const nlohmann::ordered_json& j) {
  std::ofstream out(path, std::ios::binary);
  out << j.dump(2) << "\n";
  if (!out) throw ApplyError(path + ": cannot write");
}

nlohmann::ordered_json read_json_file(const std::string& path) {
  try {
    return read_small_json_file(path);
  } catch (const CheckpointError& e) {
    throw ApplyError(e.what());
  }
}

void write_shard_index(const std::string& path, const std::map<std::string, std::string>& map,
                       uint64_t total_size) {
  nlohmann::ordered_json j;
  j["metadata"] = {{"total_size", total_size}};
  j["weight_map"] = nlohmann::ordered_json::object();
  for (const auto& [tensor, shard] : map) j["weight_map"][tensor] = shard;
  write_json_file(path, j);
}

}  // namespace qcfg::runtime
