#include "runtime/export_format.h"

#include <fmt/format.h>

#include <stdexcept>

namespace qcfg::runtime {
namespace {

bool is_grouped_param(const std::string& param) {
  return param.size() > 6 && param.compare(0, 6, "weight") == 0 &&
         param.find_first_not_of("0123456789", 6) == std::string::npos;
}

bool per_channel_rows(const QuantFormat& f) {
  return (f.axis && (*f.axis == 0 || *f.axis == -2)) ||
         (f.per_token_kept && *f.per_token_kept == -1);
}

bool only_last_dim_blocks(const QuantFormat& f) {
  return f.blocks.size() == 1 && f.last_dim_block() > 0 && !f.axis;
}

ExportAlgo fp8_algo(const QuantFormat& w) {
  if (!w.axis && !w.per_token_kept && w.blocks.empty()) return ExportAlgo::fp8;
  if (per_channel_rows(w) && w.blocks.empty()) return ExportAlgo::fp8_per_channel;
  if (w.blocks.size() == 2 && w.last_dim_block() == 128 && w.blocks.count(-2) &&
      w.blocks.at(-2) == 128)
    return ExportAlgo::fp8_block;
  throw std::invalid_argument(w.label() +
                              " has no export layout (FP8 per tensor, per output channel or "
                              "128x128 blocks)");
}

ExportAlgo int_algo(const QuantFormat& w, const std::optional<QuantFormat>& input) {
  const int bits = w.int_format.num_bits;
  if (bits == 8 && per_channel_rows(w) && w.blocks.empty() && !w.int_format.is_unsigned)
    return input ? ExportAlgo::int8_smoothquant : ExportAlgo::int8_weight_only;
  if (bits == 4 && only_last_dim_blocks(w) && !w.int_format.is_unsigned) {
    if (input)
      throw std::invalid_argument(
          "INT4 weights with quantized inputs need W4A8 (a "
          "sequential INT4+FP8 weight quantizer)");
    return ExportAlgo::int4_awq;
  }
  throw std::invalid_argument(w.label() +
                              " has no export layout (INT8 per output channel, INT4 blocks)");
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

int64_t algo_group_size(ExportAlgo a, const QuantFormat& weight) {
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

float input_scale_bound(ExportAlgo a) {
  switch (a) {
    case ExportAlgo::fp8:
    case ExportAlgo::mxfp4_fp8:
      return 448.0f;
    case ExportAlgo::nvfp4:
      return 6.0f * 448.0f;
    case ExportAlgo::int8_smoothquant:
      return 127.0f;
    default:
      return 0.0f;
  }
}

ExportAlgo export_algo(const QuantFormat& w, const std::optional<QuantFormat>& input) {
  if (w.rotate)
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
      if (w.mx_element == numerics::MxElement::e4m3) return ExportAlgo::mxfp8;
      if (w.mx_element == numerics::MxElement::e2m1)
        return input && input->kind == FormatKind::fp8 ? ExportAlgo::mxfp4_fp8 : ExportAlgo::mxfp4;
      throw std::invalid_argument(w.label() + " has no export layout (MXFP4, MXFP8)");
  }
  throw std::logic_error("unknown format");
}

std::string scale_name(const std::string& module, const std::string& param,
                       const std::string& suffix) {
  const std::string base = param == "weight" || is_grouped_param(param) ? param : param + "_weight";
  return (module.empty() ? "" : module + ".") + base + suffix;
}

std::string input_scale_name(const std::string& module, const std::string& param) {
  const std::string base =
      param == "weight" || is_grouped_param(param) ? "input_scale" : param + "_input_scale";
  return (module.empty() ? "" : module + ".") + base;
}

std::vector<OutputTensor> export_tensors(ExportAlgo a, const QuantFormat& w,
                                         const std::string& module, const std::string& param,
                                         const std::vector<int64_t>& shape) {
  if (shape.size() != 2 && shape.size() != 3)
    throw std::invalid_argument(
        fmt::format("export needs a 2-D weight (or 3-D fused experts), "
                    "got rank {}",
                    shape.size()));
  const bool fused = shape.size() == 3;
  const std::vector<int64_t> lead = fused ? std::vector<int64_t>{shape[0]} : std::vector<int64_t>{};
  const int64_t out = shape[shape.size() - 2], in = shape.back();
  auto with_lead = [&](std::vector<int64_t> s) {
    s.insert(s.begin(), lead.begin(), lead.end());
    return s;
  };
  const std::string weight = (module.empty() ? "" : module + ".") + param;
  const std::string ws = scale_name(module, param, "_scale");
  const std::string ws2 = scale_name(module, param, "_scale_2");
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(algo_name(a) + " export: " + what);
  };
  switch (a) {
    case ExportAlgo::fp8:
      return {{weight, "F8_E4M3", shape}, {ws, "F32", lead}};
    case ExportAlgo::fp8_per_channel:
      return {{weight, "F8_E4M3", shape}, {ws, "F32", with_lead({out})}};
    case ExportAlgo::fp8_block:
      need(!fused && out % 128 == 0 && in % 128 == 0, "dims must be multiples of 128");
      return {{weight, "F8_E4M3", shape}, {ws, "F32", {out / 128, 1, in / 128, 1}}};
    case ExportAlgo::int8_weight_only:
    case ExportAlgo::int8_smoothquant:
      return {{weight, "I8", shape}, {ws, "F32", with_lead({out})}};
    case ExportAlgo::int4_awq: {
      const int64_t b = w.last_dim_block();
      need(out % 2 == 0, "output rows must be even (nibbles pair along rows)");
      need(in % b == 0, fmt::format("in-features {} must be a multiple of the block {}", in, b));
      return {{weight, "U8", with_lead({out / 2, in})}, {ws, "F32", with_lead({out, in / b})}};
    }
    case ExportAlgo::nvfp4:
    case ExportAlgo::nvfp4_weight_only: {
      const int64_t b = w.last_dim_block();
      need(in % b == 0, fmt::format("in-features must be a multiple of {}", b));
      return {{weight, "U8", with_lead({out, in / 2})},
              {ws, "F8_E4M3", with_lead({out, in / b})},
              {ws2, "F32", lead}};
    }
    case ExportAlgo::mxfp4:
    case ExportAlgo::mxfp4_fp8:
      need(in % 32 == 0, "in-features must be a multiple of 32");
      return {{weight, "U8", with_lead({out, in / 2})}, {ws, "U8", with_lead({out, in / 32})}};
    case ExportAlgo::mxfp8:
      need(in % 32 == 0, "in-features must be a multiple of 32");
      return {{weight, "F8_E4M3", shape}, {ws, "U8", with_lead({out, in / 32})}};
  }
  throw std::logic_error("unknown algo");
}

}  // namespace qcfg::runtime
