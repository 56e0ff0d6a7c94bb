#include "runtime/export_format.h"

#include <fmt/format.h>

#include <stdexcept>

#include "checkpoint/hf_names.h"

namespace qcfg::runtime {
namespace {

// The shapes of one weight's tensors ([out, in], or [E, out, in] for fused experts).
struct WeightDims {
  std::vector<int64_t> shape, lead;  // lead: [E] for fused experts, else []
  int64_t out = 0, in = 0;
  std::vector<int64_t> with_lead(std::vector<int64_t> s) const {
    s.insert(s.begin(), lead.begin(), lead.end());
    return s;
  }
};

std::vector<int64_t> codes_shape(CodesShape c, const WeightDims& d) {
  switch (c) {
    case CodesShape::half_rows:
      return d.with_lead({d.out / 2, d.in});
    case CodesShape::half_cols:
      return d.with_lead({d.out, d.in / 2});
    case CodesShape::same:
      break;
  }
  return d.shape;
}

std::vector<int64_t> scale_shape(ScaleShape s, int64_t group, const WeightDims& d) {
  switch (s) {
    case ScaleShape::per_tensor:
      return d.lead;
    case ScaleShape::per_row:
      return d.with_lead({d.out});
    case ScaleShape::tiles_128:
      return {d.out / 128, 1, d.in / 128, 1};
    case ScaleShape::per_group:
      return d.with_lead({d.out, d.in / group});
  }
  throw std::logic_error("unknown scale shape");
}

// The layout's divisibility requirements, said as `ALGO export: ...`.
void check_fits(ExportAlgo a, const ExportOutputs& o, int64_t group, const WeightDims& d) {
  auto need = [&](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument(algo_name(a) + " export: " + what);
  };
  if (o.scale == ScaleShape::tiles_128)
    need(d.lead.empty() && d.out % 128 == 0 && d.in % 128 == 0, "dims must be multiples of 128");
  if (o.codes == CodesShape::half_rows)
    need(d.out % 2 == 0, "output rows must be even (nibbles pair along rows)");
  if (o.scale == ScaleShape::per_group)
    need(group > 0 && d.in % group == 0,
         fmt::format("in-features {} must be a multiple of the block {}", d.in, group));
}

}  // namespace

float input_scale_bound(ExportAlgo a) { return resolver::export_algo_info(a).input_bound; }

std::vector<OutputTensor> export_tensors(ExportAlgo a, const QuantFormat& w,
                                         const std::string& module, const std::string& param,
                                         const std::vector<int64_t>& shape) {
  if (shape.size() != 2 && shape.size() != 3)
    throw std::invalid_argument(
        fmt::format("export needs a 2-D weight (or 3-D fused experts), "
                    "got rank {}",
                    shape.size()));
  WeightDims d;
  d.shape = shape;
  if (shape.size() == 3) d.lead = {shape[0]};
  d.out = shape[shape.size() - 2];
  d.in = shape.back();
  const ExportOutputs& o = resolver::export_algo_info(a).outputs;
  const int64_t group = resolver::scale_group(a, w);
  check_fits(a, o, group, d);
  std::vector<OutputTensor> out = {
      {(module.empty() ? "" : module + ".") + param, o.codes_dtype, codes_shape(o.codes, d)},
      {checkpoint::scale_name(module, param, "_scale"), o.scale_dtype,
       scale_shape(o.scale, group, d)}};
  if (o.global_scale)
    out.push_back({checkpoint::scale_name(module, param, "_scale_2"), "F32", d.lead});
  return out;
}

}  // namespace qcfg::runtime
