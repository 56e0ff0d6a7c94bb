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

const std::vector<ExportAlgoInfo>& export_algo_table() {
  using enum ExportAlgo;
  using G = GroupSize;
  using C = CodesShape;
  using S = ScaleShape;
  using P = PackKind;
  using K = ConfigGroup;
  constexpr float kNone = 0.0f;
  static const std::vector<ExportAlgoInfo> table = {
      {fp8,
       "FP8",
       G::none,
       448.0f,
       {"F8_E4M3", C::same, "F32", S::per_tensor, 0, false},
       P::fp8,
       false,
       K::weights_and_inputs,
       8,
       false},
      {fp8_per_channel,
       "FP8_PER_CHANNEL_PER_TOKEN",
       G::none,
       kNone,
       {"F8_E4M3", C::same, "F32", S::per_row, 0, false},
       P::fp8,
       false,
       K::none,
       8,
       true},
      {fp8_block,
       "fp8_pb_wo",
       G::none,
       kNone,
       {"F8_E4M3", C::same, "F32", S::tiles_128, 0, false},
       P::fp8,
       false,
       K::none,
       8,
       false},
      {int8_weight_only,
       "W8A16",
       G::none,
       kNone,
       {"I8", C::same, "F32", S::per_row, 0, false},
       P::int8,
       false,
       K::none,
       8,
       true},
      {int8_smoothquant,
       "W8A8_SQ_PER_CHANNEL",
       G::none,
       127.0f,
       {"I8", C::same, "F32", S::per_row, 0, false},
       P::int8,
       false,
       K::none,
       8,
       true},
      {int4_awq,
       "W4A16_AWQ",
       G::weight_block,
       kNone,
       {"U8", C::half_rows, "F32", S::per_group, 0, false},
       P::int4,
       true,
       K::none,
       4,
       true},
      {nvfp4,
       "NVFP4",
       G::weight_block,
       6.0f * 448.0f,
       {"U8", C::half_cols, "F8_E4M3", S::per_group, 0, true},
       P::nvfp4,
       false,
       K::weights_and_inputs,
       4,
       true},
      {nvfp4_weight_only,
       "W4A16_NVFP4",
       G::weight_block,
       kNone,
       {"U8", C::half_cols, "F8_E4M3", S::per_group, 0, true},
       P::nvfp4,
       false,
       K::weights,
       4,
       true},
      {mxfp4,
       "mxfp4",
       G::none,
       kNone,
       {"U8", C::half_cols, "U8", S::per_group, 32, false},
       P::mxfp4,
       false,
       K::none,
       4,
       true},
      {mxfp4_fp8,
       "W4A8_MXFP4_FP8",
       G::none,
       448.0f,
       {"U8", C::half_cols, "U8", S::per_group, 32, false},
       P::mxfp4,
       false,
       K::none,
       4,
       true},
      {mxfp8,
       "MXFP8",
       G::fixed_32,
       kNone,
       {"F8_E4M3", C::same, "U8", S::per_group, 32, false},
       P::mxfp8,
       false,
       K::none,
       8,
       true},
  };
  return table;
}

const ExportAlgoInfo& export_algo_info(ExportAlgo a) {
  const auto& table = export_algo_table();
  const size_t i = static_cast<size_t>(a);
  if (i >= table.size() || table[i].algo != a) throw std::logic_error("export table out of order");
  return table[i];
}

const ExportAlgoInfo* export_algo_named(std::string_view name) {
  for (const ExportAlgoInfo& row : export_algo_table())
    if (row.hf_name == name) return &row;
  return nullptr;
}

std::string algo_name(ExportAlgo a) { return export_algo_info(a).hf_name; }

int64_t algo_group_size(ExportAlgo a, const FormatSpec& weight) {
  switch (export_algo_info(a).group_size) {
    case GroupSize::weight_block:
      return weight.last_dim_block();  // NVFP4: 16, or 32 for dynamic NVFP4 (nvfp4_bs32)
    case GroupSize::fixed_32:
      return 32;
    case GroupSize::none:
      break;
  }
  return 0;
}

int64_t scale_group(ExportAlgo a, const FormatSpec& weight) {
  const ExportOutputs& o = export_algo_info(a).outputs;
  if (o.scale != ScaleShape::per_group) return 0;
  return o.scale_group > 0 ? o.scale_group : weight.last_dim_block();
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
