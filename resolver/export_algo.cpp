#include "resolver/export_algo.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace qcfg::resolver {
namespace {

bool per_channel_rows(const FormatSpec& f) {
  return (f.axis && (*f.axis == 0 || *f.axis == -2)) ||
         (f.per_token_kept && *f.per_token_kept == -1);
}

bool only_last_dim_blocks(const FormatSpec& f) {
  return f.blocks.size() == 1 && f.last_dim_block() > 0 && !f.axis;
}

ExportAlgo fp8_algo(const FormatSpec& w) {
  if (!w.axis && !w.per_token_kept && w.blocks.empty()) return ExportAlgo::fp8;
  if (per_channel_rows(w) && w.blocks.empty()) return ExportAlgo::fp8_per_channel;
  if (w.blocks.size() == 2 && w.last_dim_block() == 128 && w.blocks.count(-2) &&
      w.blocks.at(-2) == 128)
    return ExportAlgo::fp8_block;
  throw std::invalid_argument(w.label() +
                              " has no export layout (FP8 per tensor, per output channel or "
                              "128x128 blocks)");
}

ExportAlgo int_algo(const FormatSpec& w, const std::optional<FormatSpec>& input) {
  const int bits = w.int_bits;
  if (bits == 8 && per_channel_rows(w) && w.blocks.empty() && !w.is_unsigned)
    return input ? ExportAlgo::int8_smoothquant : ExportAlgo::int8_weight_only;
  if (bits == 4 && only_last_dim_blocks(w) && !w.is_unsigned) {
    if (input)
      throw std::invalid_argument(
          "INT4 weights with quantized inputs need W4A8 (a "
          "sequential INT4+FP8 weight quantizer)");
    return ExportAlgo::int4_awq;
  }
  throw std::invalid_argument(w.label() +
                              " has no export layout (INT8 per output channel, INT4 blocks)");
}

// Every prefix of `name` followed by `*`, and the name itself: patterns that would also match a
// quantized module, so none of them may be excluded.
void add_matching_prefix_wildcards(const std::string& name, std::set<std::string>& out) {
  out.insert(name);
  for (size_t i = 0; i <= name.size(); ++i) out.insert(name.substr(0, i) + "*");
}

// Candidates for one unquantized name, most general first: at each '.', `prefix*`, then the pair
// {`prefix`, `prefix.*`}; last the name itself.
std::vector<std::vector<std::string>> candidate_wildcards(const std::string& name) {
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '.') continue;
    const std::string prefix = name.substr(0, i);
    out.push_back({prefix + "*"});
    out.push_back({prefix, prefix + ".*"});
  }
  out.push_back({name});
  return out;
}

}  // namespace

std::string algo_name(ExportAlgo a) {
  switch (a) {
    case ExportAlgo::fp8:
      return "FP8";
    case ExportAlgo::fp8_per_channel:
      return "FP8_PER_CHANNEL_PER_TOKEN";
    case ExportAlgo::fp8_block:
      return "fp8_pb_wo";
    case ExportAlgo::int8_weight_only:
      return "W8A16";
    case ExportAlgo::int8_smoothquant:
      return "W8A8_SQ_PER_CHANNEL";
    case ExportAlgo::int4_awq:
      return "W4A16_AWQ";
    case ExportAlgo::nvfp4:
      return "NVFP4";
    case ExportAlgo::nvfp4_weight_only:
      return "W4A16_NVFP4";
    case ExportAlgo::mxfp4:
      return "mxfp4";
    case ExportAlgo::mxfp4_fp8:
      return "W4A8_MXFP4_FP8";
    case ExportAlgo::mxfp8:
      return "MXFP8";
  }
  return "?";
}

int64_t algo_group_size(ExportAlgo a, const FormatSpec& weight) {
  switch (a) {
    case ExportAlgo::int4_awq:
      return weight.last_dim_block();
    case ExportAlgo::nvfp4:
    case ExportAlgo::nvfp4_weight_only:
      return weight.last_dim_block();  // 16, or 32 for dynamic NVFP4 (ModelOpt's nvfp4_bs32)
    case ExportAlgo::mxfp8:
      return 32;
    default:
      return 0;
  }
}

ExportAlgo export_algo(const FormatSpec& w, const std::optional<FormatSpec>& input) {
  if (w.rotation)
    throw std::invalid_argument(
        "rotation cannot be exported: packed codes live in the rotated basis and the unified "
        "checkpoint cannot tell an engine to rotate activations (use --mode fake)");
  switch (w.kind) {
    case FormatKind::fp8:
      return fp8_algo(w);
    case FormatKind::integer:
      return int_algo(w, input);
    case FormatKind::nvfp4_dynamic:
    case FormatKind::nvfp4_static:
      // ModelOpt packs dynamic NVFP4 with 16- or 32-wide blocks (weight_scale [out, in/block]);
      // static NVFP4 only with 16.
      if (w.last_dim_block() != 16 &&
          !(w.last_dim_block() == 32 && w.kind == FormatKind::nvfp4_dynamic))
        throw std::invalid_argument(
            fmt::format("NVFP4 export packs 16-wide blocks{}, not {}",
                        w.kind == FormatKind::nvfp4_dynamic ? " (or 32)" : "", w.last_dim_block()));
      if (!input) return ExportAlgo::nvfp4_weight_only;
      if (input->kind == FormatKind::nvfp4_dynamic) return ExportAlgo::nvfp4;
      throw std::invalid_argument("NVFP4 weights with " + input->label() +
                                  " inputs have no export layout");
    case FormatKind::mx:
      if (w.last_dim_block() != 32 && w.last_dim_block() != 0)
        throw std::invalid_argument("MX export packs 32-wide blocks");
      if (!w.mx_int8 && w.element == std::pair<int, int>(4, 3)) return ExportAlgo::mxfp8;
      if (!w.mx_int8 && w.element == std::pair<int, int>(2, 1))
        return input && input->kind == FormatKind::fp8 ? ExportAlgo::mxfp4_fp8 : ExportAlgo::mxfp4;
      throw std::invalid_argument(w.label() + " has no export layout (MXFP4, MXFP8)");
  }
  throw std::logic_error("unknown format");
}

std::string kv_cache_algo(const QuantizerAttributes& a) {
  // shared/spec/numerics.md §10.2: the element of the k/v BMM quantizer names the KV algorithm.
  if (a.float_bits) {
    const int64_t e = a.float_bits->first;
    if (e == 4) return "FP8";
    if (e == 2) return a.bias_set ? "NVFP4_AFFINE" : "NVFP4";
    return "";
  }
  if (a.int_bits == 8) return "INT8";
  return "";
}

bool is_kv_bmm_quantizer(const std::string& q) {
  return q.size() > 15 && (q.ends_with("k_bmm_quantizer") || q.ends_with("v_bmm_quantizer"));
}

bool is_mixed_precision(size_t distinct_layer_configs) { return distinct_layer_configs > 1; }

std::vector<std::string> exclude_patterns(const std::vector<std::string>& unquantized,
                                          const std::vector<std::string>& quantized) {
  std::set<std::string> forbidden;
  for (const std::string& q : quantized) add_matching_prefix_wildcards(q, forbidden);
  std::set<std::string> out;
  for (const std::string& u : unquantized) {
    for (const std::vector<std::string>& c : candidate_wildcards(u)) {
      if (std::any_of(c.begin(), c.end(), [&](const auto& w) { return forbidden.count(w); }))
        continue;  // would exclude a quantized module: try a more specific candidate
      if (std::all_of(c.begin(), c.end(), [&](const auto& w) { return out.count(w); }))
        break;  // covered by an earlier name's pattern
      if (c.size() == 2)
        out.insert(c[1]);  // {prefix, prefix.*} is written as prefix.* alone
      else
        out.insert(c.begin(), c.end());
      break;
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace qcfg::resolver
