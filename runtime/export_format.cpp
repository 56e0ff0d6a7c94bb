#include "runtime/export_format.h"

#include <fmt/format.h>

#include <stdexcept>

#include "checkpoint/hf_names.h"

namespace qcfg::runtime {
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
  const std::string ws = checkpoint::scale_name(module, param, "_scale");
  const std::string ws2 = checkpoint::scale_name(module, param, "_scale_2");
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
