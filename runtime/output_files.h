// The files of an output checkpoint besides the tensors: a staging directory renamed into place,
// the other files of the input (tokenizer, generation config, ...) copied, the shard index, JSON
// files written whole. Every output file is created here, new (O_EXCL, never through a symlink),
// under a plain relative name inside the staging directory; nothing outside it is ever written.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

namespace qcfg::runtime {

// A staging directory `.NAME.qcfg-partial-PID` beside `target` (same filesystem, so the final
// rename is atomic); removed on destruction unless commit() moved it into place. A marker file
// inside says which process owns it, so that a later run can tell the staging directories of
// killed runs (removed, with a note on stderr) from those of runs still going (left alone).
class StagingDir {
 public:
  // durable: every file and directory is flushed to disk before the rename, and the rename too.
  StagingDir(const std::string& target, bool durable);  // throws ApplyError
  ~StagingDir();
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  const std::string& path() const { return path_; }
  bool durable() const { return durable_; }
  // Where `name` goes: it must be a plain relative path (no root, no `..`); its parent
  // directories are created inside the staging directory. Throws ApplyError.
  std::string file(const std::string& name) const;
  void write_file(const std::string& name, std::string_view bytes) const;
  void write_json(const std::string& name, const nlohmann::ordered_json& j) const;
  void commit();  // flush, rename into `target`; throws ApplyError

 private:
  std::string target_, path_;
  bool durable_ = true;
  bool committed_ = false;
};

// The staging directory name of `target` for process `pid`.
std::string staging_name(const std::string& target_filename, long pid);

// Removes the staging directories of `target` left by runs that are no longer running (their
// marker names a process of this machine and boot that is gone); prints what it removed, and the
// staging directories without a marker (earlier qcfg versions) with the command to remove them.
// Returns how many it removed.
int remove_stale_staging(const std::string& target);

// Checks that `out` can be created: a non-empty path where nothing exists yet (not even a
// dangling symlink), in an existing writable directory, not the input nor inside it.
void check_output_path(const std::string& model_dir, const std::string& out);

// Copies every entry of `from` except `skip` (paths relative to `from`, as the index names
// shards) into the staging directory:
// regular files by content (a symlinked file is read through its link, the link is not copied),
// directories recursively; FIFOs, sockets and devices are skipped with a note.
void copy_other_files(const std::string& from, const StagingDir& to,
                      const std::set<std::string>& skip);

// Creates `path` new (never through a symlink, never over a file), writes `bytes`, and flushes
// it to disk when `durable`. Throws ApplyError naming the file.
void write_new_file(const std::string& path, std::string_view bytes, bool durable);

nlohmann::ordered_json read_json_file(const std::string& path);  // throws ApplyError

// model.safetensors.index.json: {"metadata": {"total_size"}, "weight_map": {tensor: shard}}.
nlohmann::ordered_json shard_index_json(const std::map<std::string, std::string>& map,
                                        uint64_t total_size);

}  // namespace qcfg::runtime
