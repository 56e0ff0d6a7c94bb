// The commands that need LibTorch. They run in the qcfg-runtime executable; the torch-free qcfg
// lists them and hands their command line to qcfg-runtime (runtime_forward.cpp), so `qcfg lint`
// and the other commands never load LibTorch.
#pragma once

#include <array>
#include <string_view>

namespace qcfg::cli {

struct RuntimeCommand {
  std::string_view name;
  std::string_view summary;
};

inline constexpr std::array<RuntimeCommand, 2> kRuntimeCommands = {{
    {"apply", "apply a compiled plan to a checkpoint (fake or export)"},
    {"ptq", "compile a recipe and apply it to a checkpoint"},
}};

inline constexpr std::string_view kRuntimeExecutable = "qcfg-runtime";

// The summary of runtime command `name` (each is registered once per executable).
constexpr std::string_view runtime_summary(std::string_view name) {
  for (const RuntimeCommand& c : kRuntimeCommands) {
    if (c.name == name) return c.summary;
  }
  return {};
}

}  // namespace qcfg::cli
