// Finding files the way ModelOpt does (shared/spec/quant_cfg.md 3.3). Import paths are never
// relative to the importing file: the working directory is tried first, then the recipe root.
#include <filesystem>

#include "compiler/loader/loader.h"

namespace qcfg::loader {
namespace {

namespace fs = std::filesystem;

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

// Relative to `base` unless absolute (Python's Path(base) / p keeps an absolute p).
fs::path under(const std::string& base, const std::string& p) {
  fs::path path(p);
  if (path.is_absolute() || base.empty() || base == ".") return path;
  return fs::path(base) / path;
}

// `path` with `..` and symlinks resolved as far as it exists.
fs::path resolved_path(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::path(path).lexically_normal() : p;
}

bool starts_with_path(const fs::path& root, const fs::path& p) {
  auto r = root.begin(), i = p.begin();
  for (; r != root.end(); ++r, ++i) {
    if (r->empty()) continue;  // the trailing "" of "dir/"
    if (i == p.end() || *r != *i) return false;
  }
  return true;
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
    if (sources_.provider().is_file(c.string())) return c.string();
  }
  return std::nullopt;
}

std::optional<std::string> Loader::locate_recipe(const std::string& path) const {
  const FileProvider& files = sources_.provider();
  auto path_exists = [&](const fs::path& p) {
    return files.is_file(p.string()) || files.is_directory(p.string());
  };
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

bool Loader::inside_allowed_roots(const std::string& found, std::string* resolved) const {
  const fs::path file = resolved_path(found);
  *resolved = file.string();
  if (starts_with_path(resolved_path(options_.cwd.empty() ? "." : options_.cwd), file)) {
    return true;
  }
  return !options_.recipe_root.empty() &&
         starts_with_path(resolved_path(options_.recipe_root), file);
}

}  // namespace qcfg::loader
