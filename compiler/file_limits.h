// The size limits of every file qcfg reads whole, and the one wording of "over the limit": the
// one limit policy. Texts that diagnostics point into (configs, plans) are read by
// compiler/input_file.h, checkpoint-side files by checkpoint/bounded_file.h; both take their
// limits and their message from here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qcfg {

// Far above any real file of the kind, so that only the wrong file (a dump, /dev/zero) is refused.
inline constexpr uint64_t kMaxConfigBytes = uint64_t{64} << 20;    // configs, recipes, snippets
inline constexpr uint64_t kMaxPlanBytes = uint64_t{2} << 30;       // plans (DeepSeek-V3: 135k rows)
inline constexpr uint64_t kMaxInventoryBytes = uint64_t{1} << 30;  // JSON inventories
// The shard index, config.json and --act-amax files of a checkpoint.
inline constexpr uint64_t kMaxJsonFileBytes = uint64_t{256} << 20;
// A safetensors header: the safetensors library's own limit ("100 MB" in messages).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// "file is N bytes, over the size limit (limit MAX bytes; ADVICE)": the one wording.
std::string size_limit_message(uint64_t size, uint64_t max_bytes, std::string_view advice);

// What to do about a config, recipe or snippet over ReadLimits::max_bytes.
inline constexpr std::string_view kConfigSizeAdvice =
    "quant_cfg files and recipes are far smaller: check that this is the right file";
// What to do about a checkpoint-side JSON file over its limit.
inline constexpr std::string_view kCheckpointJsonAdvice =
    "index, config and amax files are far smaller: check that this is the right file";

}  // namespace qcfg
