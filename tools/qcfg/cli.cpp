#include "tools/qcfg/cli.h"

namespace qcfg::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
           const std::set<std::string>& flags) {
  bool only_positionals = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positionals || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positionals = true;
      continue;
    }
    std::string name = a, value;
    bool has_inline = false;
    if (size_t eq = a.find('='); eq != std::string::npos && a.rfind("--", 0) == 0) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      has_inline = true;
    }
    if (value_options.count(name)) {
      if (!has_inline) {
        if (i + 1 >= argv.size()) throw UsageError{"option " + name + " needs a value"};
        value = argv[++i];
      }
      values_.emplace(name, value);
    } else if (flags.count(name) && !has_inline) {
      flags_.insert(name);
    } else {
      throw UsageError{"unknown option " + name};
    }
  }
}

std::optional<std::string> Args::value(const std::string& name) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;  // the last one wins
}

std::optional<std::string> Args::path_value(const std::string& name) const {
  std::optional<std::string> v = value(name);
  if (v && v->empty()) throw UsageError{name + " is empty: it needs a path to a file or directory"};
  return v;
}

std::vector<std::string> Args::values(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

std::string Args::value_or(const std::string& name, const std::string& fallback) const {
  return value(name).value_or(fallback);
}

std::string Args::choice(const std::string& name, const std::vector<std::string>& choices,
                         const std::string& fallback) const {
  std::string v = value_or(name, fallback);
  for (const std::string& c : choices) {
    if (c == v) return v;
  }
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  throw UsageError{"invalid value '" + v + "' for " + name + " (choose from " + list + ")"};
}

namespace {
std::map<std::string, Command>& registry() {
  static std::map<std::string, Command> r;
  return r;
}
}  // namespace

void register_command(Command c) { registry()[c.name] = std::move(c); }
const std::map<std::string, Command>& commands() { return registry(); }

}  // namespace qcfg::cli
