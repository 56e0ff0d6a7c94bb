// The files of an output checkpoint besides the tensors: a temporary directory renamed into
// place, the other files of the input (tokenizer, generation config, ...) copied, the shard
// index, JSON files written whole.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace qcfg::runtime {

// A temporary directory beside `target` (same filesystem, so the final rename is atomic);
// removed on destruction unless commit() moved it into place.
class StagingDir {
 public:
  explicit StagingDir(const std::string& target);  // throws ApplyError
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const;
  void commit();  // rename into `target`; throws ApplyError

 private:
  std::string target_, path_;
  bool committed_ = false;
};

// Checks that `out` can be created: not the input, not inside it, not existing.
void check_output_path(const std::string& model_dir, const std::string& out);

// Copies every entry of `from` except `skip` (top-level names) into `to`, recursively.
void copy_other_files(const std::string& from, const std::string& to,
                      const std::set<std::string>& skip);

void write_json_file(const std::string& path, const nlohmann::ordered_json& j);
nlohmann::ordered_json read_json_file(const std::string& path);  // throws ApplyError

// model.safetensors.index.json: {"metadata": {"total_size"}, "weight_map": {tensor: shard}}.
void write_shard_index(const std::string& path, const std::map<std::string, std::string>& map,
                       uint64_t total_size);

}  // namespace qcfg::runtime
