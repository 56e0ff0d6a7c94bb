#include "checkpoint/config.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "checkpoint/bounded_file.h"
#include "checkpoint/safetensors.h"

namespace qcfg::checkpoint {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::optional<CheckpointConfig> read_checkpoint_config(const std::string& dir) {
  const fs::path file = fs::path(dir) / kConfigFile;
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  const std::string text = read_bounded_file(file.string(), kMaxJsonFileBytes);  // may be anything
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw LocatedError(text_location(file.string(), text, e.byte > 0 ? e.byte - 1 : 0),
                       std::string("invalid JSON: ") + e.what());
  } catch (const std::exception& e) {
    throw LocatedError(file.string(), std::string("invalid JSON: ") + e.what());
  }
  CheckpointConfig c;
  if (auto a = j.find("architectures");
      a != j.end() && a->is_array() && !a->empty() && (*a)[0].is_string())
    c.architecture = (*a)[0].get<std::string>();
  auto vocab_of = [](const Json& o) -> int64_t {
    auto v = o.find("vocab_size");
    return v != o.end() && v->is_number_integer() ? v->get<int64_t>() : 0;
  };
  auto string_of = [&j](const char* key) {
    auto v = j.find(key);
    return v != j.end() && v->is_string() ? v->get<std::string>() : std::string();
  };
  c.model_type = string_of("model_type");
  c.transformers_version = string_of("transformers_version");
  c.vocab_size = vocab_of(j);
  // The keys the MoE model families of transformers name their expert count with.
  for (const char* key : {"num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts",
                          "num_moe_experts"}) {
    if (auto it = j.find(key); it != j.end() && it->is_number_integer()) {
      c.experts = it->get<int64_t>();
      break;
    }
  }
  if (c.vocab_size == 0)
    if (auto t = j.find("text_config"); t != j.end() && t->is_object()) c.vocab_size = vocab_of(*t);
  return c;
}

}  // namespace qcfg::checkpoint
