// torch.ops.qcfg.*: the project's numerics (kernels/torch/tensor_ops.h, CPU reference and CUDA
// kernels) registered with the PyTorch dispatcher, for the Python package (python/qcfg, loaded
// with torch.ops.load_library). Two layers:
//   * by plan attributes (`fake_quant`, `calibrate`): the QuantizerAttributeConfig mapping of a
//     plan record, read by the runtime's own parser (runtime/quant_format.h), so Python applies
//     exactly what `qcfg apply` applies;
//   * per format (`fake_quant_fp8`, `fake_quant_int`, `fake_quant_nvfp4`, `fake_quant_mx`,
//     `amax`, `hadamard`, `pack_*`), for scripts that want one kernel.
// Bad arguments raise ValueError with the kernels' message.
#include <torch/library.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/document/reader.h"
#include "kernels/torch/tensor_ops.h"
#include "kernels/torch/tensor_view.h"
#include "runtime/binding.h"
#include "runtime/quant_format.h"

namespace {

namespace ops = qcfg::tensor_ops;
namespace nm = qcfg::numerics;
using qcfg::runtime::QuantFormat;

// Runs `f`, turning the kernels' std::invalid_argument / the parsers' errors into ValueError.
template <class F>
auto checked(const char* op, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const c10::Error&) {
    throw;
  } catch (const qcfg::runtime::FormatError& e) {
    TORCH_CHECK_VALUE(false, "qcfg.", op, ": attributes: ", e.what());
  } catch (const std::exception& e) {
    TORCH_CHECK_VALUE(false, "qcfg.", op, ": ", e.what());
  }
}

std::vector<float> host_floats(const at::Tensor& t) {
  at::Tensor f = t.detach().to(at::kCPU, at::kFloat).contiguous().reshape({-1});
  const float* p = f.data_ptr<float>();
  return {p, p + f.numel()};
}

at::Tensor floats_tensor(const std::vector<float>& v) {
  at::Tensor t = at::empty({static_cast<int64_t>(v.size())}, at::kFloat);
  std::copy(v.begin(), v.end(), t.data_ptr<float>());
  return t;
}

// The plan's attribute mapping (JSON text) as the runtime reads it.
QuantFormat format_of(const std::string& attributes_json) {
  qcfg::SourceFile file{"<attributes>", "<attributes>", attributes_json};
  qcfg::Value attrs;
  try {
    attrs = qcfg::read_json(file);
  } catch (const qcfg::CompileError& e) {
    throw std::invalid_argument(std::string("attributes are not JSON: ") + e.what());
  }
  QuantFormat f = qcfg::runtime::parse_format(attrs);
  f.loc = {};  // `file` dies with this call
  return f;
}

nm::Granularity granularity(const at::Tensor& x, c10::optional<int64_t> axis, int64_t block) {
  if (axis && block > 0) throw std::invalid_argument("give axis or block, not both");
  if (axis) return nm::PerAxis{static_cast<int>(*axis)};
  if (block > 0) return nm::PerBlock{block, 1};
  (void)x;
  return nm::PerTensor{};
}

// ---- by plan attributes ----

// The amax max calibration collects for this format on x (after the format's rotation), in the
// layout the runtime uses (per block for static NVFP4, one value for dynamic NVFP4); empty for
// MX (nothing to calibrate). A constant amax is returned as is.
at::Tensor calibrate(const at::Tensor& x, const std::string& attributes) {
  return checked("calibrate", [&] {
    const QuantFormat f = format_of(attributes);
    const nm::Shape shape = ops::detail::shape_of(x);
    const auto g = qcfg::runtime::calibration_granularity(f, shape);
    if (!g) return at::empty({0}, at::kFloat);
    if (f.constant_amax)
      return at::full({nm::AmaxLayout(shape, *g).size()}, *f.constant_amax, at::kFloat);
    const at::Tensor in = f.rotate ? ops::hadamard(x, f.rotate->block) : x;
    return floats_tensor(ops::max_amax(in, *g));
  });
}

// Fake quant of x by the format with calibrated amax (calibrate's layout), rotation included.
// Without amax the amax is x's own (dynamic quantization: per token, dynamic NVFP4 without a
// calibrated global amax); MX needs none.
at::Tensor fake_quant(const at::Tensor& x, const std::string& attributes,
                      const c10::optional<at::Tensor>& amax, c10::optional<double> global_amax) {
  return checked("fake_quant", [&] {
    const QuantFormat f = format_of(attributes);
    const nm::Shape shape = ops::detail::shape_of(x);
    const at::Tensor in = f.rotate ? ops::hadamard(x, f.rotate->block) : x;
    std::vector<float> a;
    if (amax) {
      a = host_floats(*amax);
    } else if (const auto g = qcfg::runtime::calibration_granularity(f, shape)) {
      a = ops::max_amax(in, *g);
    }
    std::optional<float> global;
    if (global_amax) global = static_cast<float>(*global_amax);
    const nm::QuantSpec spec =
        qcfg::runtime::make_spec(f, qcfg::runtime::granularity_for(f, shape), a, global);
    return f.rotate ? ops::rotate_fake_quant(x, spec, *f.rotate) : ops::fake_quant(x, spec);
  });
}

// True when the stage needs amax from a forward pass (runtime/binding.h, the rule `qcfg apply`
// uses to list activation quantizers for --act-amax).
bool needs_calibration(const std::string& attributes) {
  return checked("needs_calibration", [&] {
    qcfg::SourceFile file{"<attributes>", "<attributes>", attributes};
    qcfg::runtime::PlanStage stage;
    stage.enabled = true;
    stage.set_attributes(std::make_shared<const qcfg::Value>(qcfg::read_json(file)));
    return qcfg::runtime::stage_needs_calibration(stage);
  });
}

// True when the format calibrates one amax over the whole tensor with no rotation and no
// constant: then max calibration is max|x|, which the package takes on the device without a
// host round trip per batch (the same value: a max is exact in any float format).
bool calibrates_per_tensor(const std::string& attributes) {
  return checked("calibrates_per_tensor", [&] {
    const QuantFormat f = format_of(attributes);
    if (f.rotate || f.constant_amax || f.per_token_kept || f.axis) return false;
    const auto g = qcfg::runtime::calibration_granularity(f, nm::Shape{1, 1});
    return g && std::holds_alternative<nm::PerTensor>(*g);
  });
}

// A one-line label of the format ("NVFP4", "FP8 per-tensor", ...), as `qcfg apply` prints it.
std::string format_label(const std::string& attributes) {
  return checked("format_label", [&] { return format_of(attributes).label(); });
}

// acc[index] = max(acc[index], max|x|) on x's device (tensor_ops.h, fold_amax): one call per
// observed tensor during calibration (python/qcfg/torch/calibration.py, Observers).
void observe_amax_(const at::Tensor& acc, int64_t index, const at::Tensor& x) {
  checked("observe_amax_", [&] { ops::fold_amax(acc, index, x); });
}

// ---- per format ----

at::Tensor amax(const at::Tensor& x, c10::optional<int64_t> axis, int64_t block) {
  return checked("amax",
                 [&] { return floats_tensor(ops::max_amax(x, granularity(x, axis, block))); });
}

at::Tensor fake_quant_fp8(const at::Tensor& x, const at::Tensor& amax, c10::optional<int64_t> axis,
                          int64_t block) {
  return checked("fake_quant_fp8", [&] {
    return ops::fake_quant(x, nm::Fp8Quant{granularity(x, axis, block), host_floats(amax)});
  });
}

at::Tensor fake_quant_int(const at::Tensor& x, const at::Tensor& amax, int64_t num_bits,
                          bool is_unsigned, bool narrow_range, c10::optional<int64_t> axis,
                          int64_t block) {
  return checked("fake_quant_int", [&] {
    nm::IntFormat fmt;
    fmt.num_bits = static_cast<int>(num_bits);
    fmt.is_unsigned = is_unsigned;
    fmt.narrow_range = narrow_range;
    return ops::fake_quant(x, nm::IntQuant{fmt, granularity(x, axis, block), host_floats(amax)});
  });
}

at::Tensor fake_quant_nvfp4(const at::Tensor& x, double global_amax, int64_t block) {
  return checked("fake_quant_nvfp4", [&] {
    return ops::fake_quant(
        x, nm::Nvfp4DynamicQuant{static_cast<float>(global_amax), block, nm::Nvfp4Path::triton});
  });
}

nm::MxElement mx_element(const std::string& name) {
  static const std::vector<std::pair<std::string, nm::MxElement>> table = {
      {"e2m1", nm::MxElement::e2m1}, {"e3m2", nm::MxElement::e3m2}, {"e2m3", nm::MxElement::e2m3},
      {"e1m2", nm::MxElement::e1m2}, {"e0m3", nm::MxElement::e0m3}, {"e3m0", nm::MxElement::e3m0},
      {"e4m3", nm::MxElement::e4m3}, {"e5m2", nm::MxElement::e5m2}, {"int8", nm::MxElement::int8}};
  for (const auto& [key, value] : table)
    if (key == name) return value;
  throw std::invalid_argument("unknown MX element '" + name +
                              "' (e2m1, e3m2, e2m3, e1m2, e0m3, e3m0, e4m3, e5m2, int8)");
}

at::Tensor fake_quant_mx(const at::Tensor& x, const std::string& element, int64_t block) {
  return checked("fake_quant_mx", [&] {
    return ops::fake_quant(x, nm::MxQuant{mx_element(element), block});
  });
}

at::Tensor hadamard(const at::Tensor& x, c10::optional<int64_t> block) {
  return checked("hadamard", [&] {
    std::optional<int64_t> b;
    if (block) b = *block;
    return ops::hadamard(x, b);
  });
}

std::tuple<at::Tensor, at::Tensor> pack_fp8(const at::Tensor& w, const at::Tensor& amax,
                                            c10::optional<int64_t> axis, int64_t block) {
  return checked("pack_fp8", [&] {
    ops::Packed p =
        ops::pack_fp8(w, granularity(w, axis, block), host_floats(amax), w.scalar_type());
    return std::make_tuple(p.codes, p.scales);
  });
}

std::tuple<at::Tensor, at::Tensor, double> pack_nvfp4(const at::Tensor& w, double global_amax,
                                                      int64_t block) {
  return checked("pack_nvfp4", [&] {
    ops::Packed p = ops::pack_nvfp4(w, static_cast<float>(global_amax), block);
    return std::make_tuple(p.codes, p.scales, static_cast<double>(p.global_scale));
  });
}

std::tuple<at::Tensor, at::Tensor> pack_int8(const at::Tensor& w, const at::Tensor& amax,
                                             c10::optional<int64_t> axis) {
  return checked("pack_int8", [&] {
    ops::Packed p = ops::pack_int8(w, granularity(w, axis, 0), host_floats(amax));
    return std::make_tuple(p.codes, p.scales);
  });
}

std::tuple<at::Tensor, at::Tensor> pack_mx(const at::Tensor& w, const std::string& element) {
  return checked("pack_mx", [&] {
    const nm::MxElement e = mx_element(element);
    if (e != nm::MxElement::e2m1 && e != nm::MxElement::e4m3)
      throw std::invalid_argument("pack_mx packs e2m1 (MXFP4) or e4m3 (MXFP8)");
    ops::Packed p = e == nm::MxElement::e2m1 ? ops::pack_mxfp4(w) : ops::pack_mxfp8(w);
    return std::make_tuple(p.codes, p.scales);
  });
}

bool cuda_available() { return ops::cuda_available(); }

}  // namespace

TORCH_LIBRARY(qcfg, m) {
  m.def("calibrate(Tensor x, str attributes) -> Tensor", &calibrate);
  m.def(
      "fake_quant(Tensor x, str attributes, Tensor? amax=None, float? global_amax=None) -> Tensor",
      &fake_quant);
  m.def("needs_calibration(str attributes) -> bool", &needs_calibration);
  m.def("calibrates_per_tensor(str attributes) -> bool", &calibrates_per_tensor);
  m.def("format_label(str attributes) -> str", &format_label);
  m.def("observe_amax_(Tensor(a!) acc, int index, Tensor x) -> ()", &observe_amax_);
  m.def("amax(Tensor x, int? axis=None, int block=0) -> Tensor", &amax);
  m.def("fake_quant_fp8(Tensor x, Tensor amax, int? axis=None, int block=0) -> Tensor",
        &fake_quant_fp8);
  m.def(
      "fake_quant_int(Tensor x, Tensor amax, int num_bits=8, bool is_unsigned=False, "
      "bool narrow_range=False, int? axis=None, int block=0) -> Tensor",
      &fake_quant_int);
  m.def("fake_quant_nvfp4(Tensor x, float global_amax, int block=16) -> Tensor", &fake_quant_nvfp4);
  m.def("fake_quant_mx(Tensor x, str element='e2m1', int block=32) -> Tensor", &fake_quant_mx);
  m.def("hadamard(Tensor x, int? block=None) -> Tensor", &hadamard);
  m.def("pack_fp8(Tensor w, Tensor amax, int? axis=None, int block=0) -> (Tensor, Tensor)",
        &pack_fp8);
  m.def("pack_nvfp4(Tensor w, float global_amax, int block=16) -> (Tensor, Tensor, float)",
        &pack_nvfp4);
  m.def("pack_int8(Tensor w, Tensor amax, int? axis=None) -> (Tensor, Tensor)", &pack_int8);
  m.def("pack_mx(Tensor w, str element='e2m1') -> (Tensor, Tensor)", &pack_mx);
  m.def("cuda_available() -> bool", &cuda_available);
}
