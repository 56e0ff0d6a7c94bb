// Finding files the way ModelOpt does (quant_cfg.md 3.3). Import paths are never relative to
// the importing file: the working directory is tried first, then the recipe root.
#include <filesystem>

#include "compiler/loader/loader.h"

namespace qcfg::loader {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(),
                                                suffix.data(), suffix.size()) == 0;
}

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// Relative to `base` unless absolute (Python's Path(base) / p keeps an absolute p).
fs::path under(const std::string& base, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute() || base.empty() || base == ".") return path;
  return fs::path(base) / path;
}

}  // namespace

Loader::Loader(SourceManager& sources, LoaderOptions options, SnippetValidator validator)
    : sources_(sources), options_(std::move(options)), validator_(std::move(validator)) {}

std::optional<std::string> Loader::locate_config(const std::string& path,
                                                 std::vector<std::string>* checked) const {
  std::vector<std::string> names;
  if (ends_with(path, ".yml") || ends_with(path, ".yaml")) {
    names = {path};
  } else {
    names = {path + ".yml", path + ".yaml"};
  }
  std::vector<fs::path> candidates;
  for (const std::string& n : names) candidates.push_back(under(options_.cwd, n));
  if (!options_.recipe_root.empty()) {
    for (const std::string& n : names) candidates.push_back(fs::path(options_.recipe_root) / n);
  }
  for (const fs::path& c : candidates) {
    if (checked) checked->push_back(c.string());
    if (is_file(c)) return c.string();
  }
  return std::nullopt;
}

std::optional<std::string> Loader::locate_recipe(const std::string& path) const {
  if (fs::path(path).is_absolute()) {
    return path_exists(path) ? std::optional<std::string>(path) : std::nullopt;
  }
  const std::vector<std::string> names = {path, path + ".yml", path + ".yaml"};
  std::vector<fs::path> candidates;
  if (!options_.recipe_root.empty()) {
    for (const std::string& n : names) candidates.push_back(fs::path(options_.recipe_root) / n);
  }
  for (const std::string& n : names) candidates.push_back(under(options_.cwd, n));
  for (const fs::path& c : candidates) {
    if (path_exists(c)) return c.string();
  }
  return std::nullopt;
}

}  // namespace qcfg::loader
