#include "tests/migrations/helpers.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>

#include "compiler/json_writer.h"
#include "driver/pipeline.h"

namespace qcfg::migrations::testing {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<fs::path> files_under(const fs::path& dir, const std::vector<std::string>& suffixes) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    for (const std::string& s : suffixes) {
      if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
        out.push_back(e.path());
        break;
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

std::string compact(const Value& v) { return to_json(v, JsonStyle{-1, true}); }

void describe(const std::vector<QuantizerEntry>& entries, std::string& out) {
  for (const QuantizerEntry& e : entries) {
    out += "  " + e.quantizer_name + " | " + e.parent_class.value_or("<none>") + " | " +
           (e.enable ? "on" : "off") + " | " + compact(e.cfg_full) + "\n";
  }
}

}  // namespace

std::optional<std::string> meaning_of(const fs::path& path, const std::string& recipe_root,
                                      const std::string& cwd) {
  SourceManager sources;
  Diagnostics diags;
  LoadOptions options;
  options.mode = ReadMode::Auto;
  options.recipe_root = recipe_root;
  options.cwd = cwd;
  std::optional<LoadedFile> file = load_file(path.string(), options, sources, diags);
  if (!file) return std::nullopt;
  std::string out;
  for (const auto& [where, qc] : file->quantize_configs) {
    out += where + ": algorithm " + compact(qc.algorithm) + ", effective_bits " +
           compact(qc.effective_bits) + "\n";
    describe(qc.quant_cfg, out);
  }
  if (file->entries) {
    out += "entries:\n";
    describe(*file->entries, out);
  }
  return out;
}

ScratchDir::ScratchDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  dir_ = fs::temp_directory_path() /
         ("qcfg-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(dir_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(dir_, ec);
}

}  // namespace qcfg::migrations::testing
