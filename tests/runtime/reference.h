// The expected results of the runtime, computed directly with the CPU numerics reference
// (kernels/cpu): the definition of correct.
#pragma once

#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/numerics.h"

namespace qcfg::test {

enum class Fmt { nvfp4, fp8, int8_axis0, int4_block16, mxfp4, mxfp8 };

inline const std::vector<Fmt>& all_formats() {
  static const std::vector<Fmt> all = {Fmt::nvfp4,        Fmt::fp8,   Fmt::int8_axis0,
                                       Fmt::int4_block16, Fmt::mxfp4, Fmt::mxfp8};
  return all;
}

inline const char* fmt_name(Fmt f) {
  switch (f) {
    case Fmt::nvfp4:
      return "nvfp4";
    case Fmt::fp8:
      return "fp8";
    case Fmt::int8_axis0:
      return "int8-axis0";
    case Fmt::int4_block16:
      return "int4-block16";
    case Fmt::mxfp4:
      return "mxfp4";
    case Fmt::mxfp8:
      return "mxfp8";
  }
  return "?";
}

// The attribute mapping (YAML flow) of the format.
inline std::string fmt_cfg(Fmt f) {
  switch (f) {
    case Fmt::nvfp4:
      return "{num_bits: e2m1, block_sizes: {-1: 16, type: dynamic, scale_bits: e4m3}}";
    case Fmt::fp8:
      return "{num_bits: e4m3, axis: null}";
    case Fmt::int8_axis0:
      return "{num_bits: 8, axis: 0}";
    case Fmt::int4_block16:
      return "{num_bits: 4, block_sizes: {-1: 16, type: static}}";
    case Fmt::mxfp4:
      return "{num_bits: e2m1, block_sizes: {-1: 32, type: dynamic, scale_bits: e8m0}}";
    case Fmt::mxfp8:
      return "{num_bits: e4m3, block_sizes: {-1: 32, type: dynamic, scale_bits: e8m0}}";
  }
  return "";
}

inline numerics::Granularity fmt_granularity(Fmt f) {
  if (f == Fmt::int8_axis0) return numerics::PerAxis{0};
  if (f == Fmt::int4_block16) return numerics::PerBlock{16, 1};
  return numerics::PerTensor{};
}

inline bool fmt_calibrates(Fmt f) { return f != Fmt::mxfp4 && f != Fmt::mxfp8; }

inline std::vector<float> ref_amax(Fmt f, const std::vector<float>& x, const numerics::Shape& s) {
  if (!fmt_calibrates(f)) return {};
  return numerics::max_amax(x, s, fmt_granularity(f));
}

// Elementwise max (joint calibration of tensors sharing a quantizer).
inline std::vector<float> joint(std::vector<float> a, const std::vector<float>& b) {
  if (a.empty()) return b;
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::max(a[i], b[i]);
  return a;
}

inline numerics::QuantSpec ref_spec(Fmt f, const std::vector<float>& amax) {
  using namespace numerics;
  switch (f) {
    case Fmt::nvfp4:
      return Nvfp4DynamicQuant{amax.at(0), 16, Nvfp4Path::triton};
    case Fmt::fp8:
      return Fp8Quant{PerTensor{}, amax};
    case Fmt::int8_axis0:
      return IntQuant{IntFormat{8}, PerAxis{0}, amax};
    case Fmt::int4_block16:
      return IntQuant{IntFormat{4}, PerBlock{16, 1}, amax};
    case Fmt::mxfp4:
      return MxQuant{MxElement::e2m1, 32};
    case Fmt::mxfp8:
      return MxQuant{MxElement::e4m3, 32};
  }
  return MxQuant{};
}

// Fake quant in fp32, rounded once to BF16 (ModelOpt's fold_weight), widened back for comparing.
inline std::vector<float> ref_fake_bf16(Fmt f, const std::vector<float>& x,
                                        const numerics::Shape& s, const std::vector<float>& amax) {
  std::vector<float> y(x.size());
  numerics::fake_quant(ref_spec(f, amax), std::span<const float>(x), std::span<float>(y), s);
  for (float& v : y) v = numerics::round_to<numerics::BFloat16>(v);
  return y;
}

// Export-time unification (shared/spec/numerics.md §6.5, docs/runtime.md): the sibling group of a
// dense linear weight `<parent>.<leaf>.weight` by name ({q,k,v}_proj, {gate,up}_proj, {w1,w3} under
// one parent), "" for none.
inline std::string sibling_key(const std::string& tensor) {
  const std::string suffix = ".weight";
  if (tensor.size() <= suffix.size() || tensor.compare(tensor.size() - 7, 7, suffix) != 0)
    return "";
  const std::string module = tensor.substr(0, tensor.size() - 7);
  const size_t dot = module.rfind('.');
  const std::string parent = dot == std::string::npos ? "" : module.substr(0, dot + 1);
  const std::string leaf = dot == std::string::npos ? module : module.substr(dot + 1);
  if (leaf == "q_proj" || leaf == "k_proj" || leaf == "v_proj") return parent + "qkv";
  if (leaf == "query" || leaf == "key" || leaf == "value") return parent + "qkv";  // BERT
  if (leaf == "gate_proj" || leaf == "up_proj") return parent + "gate_up";
  if (leaf == "w1" || leaf == "w3") return parent + "w1_w3";
  return "";
}

// The per-tensor amax export uses for each tensor of `amax` (tensor name -> own per-tensor amax):
// the max over its sibling group, or its own when it has no sibling in `amax`.
inline std::map<std::string, float> unified_amax(const std::map<std::string, float>& amax) {
  std::map<std::string, float> group;
  for (const auto& [name, a] : amax)
    if (const std::string k = sibling_key(name); !k.empty()) group[k] = std::max(group[k], a);
  std::map<std::string, float> out;
  for (const auto& [name, a] : amax) {
    const std::string k = sibling_key(name);
    out[name] = k.empty() ? a : group[k];
  }
  return out;
}

template <class T>
std::vector<uint8_t> as_bytes(const std::vector<T>& v) {
  std::vector<uint8_t> b(v.size() * sizeof(T));
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

// Export tensors of one 2-D weight by name suffix: "" (weight), "_scale", "_scale_2". The
// generated checkpoints are BF16, so a per-tensor FP8 quotient is rounded to BF16 as ModelOpt's.
inline std::vector<std::pair<std::string, std::vector<uint8_t>>> ref_export(
    Fmt f, const std::vector<float>& x, const numerics::Shape& s, const std::vector<float>& amax,
    numerics::QuotientPrecision fp8_quotient = numerics::QuotientPrecision::bf16) {
  using namespace numerics;
  const Matrix2D m = as_matrix(s);
  switch (f) {
    case Fmt::nvfp4: {
      const auto p = pack_nvfp4_dynamic(x, m, amax.at(0));
      return {{"", p.codes},
              {"_scale", p.scales},
              {"_scale_2", as_bytes(std::vector<float>{p.global_scale})}};
    }
    case Fmt::fp8: {
      const auto p = pack_fp8(x, s, PerTensor{}, amax, fp8_quotient);
      return {{"", p.codes}, {"_scale", as_bytes(p.scales)}};
    }
    case Fmt::int8_axis0: {
      const auto p = pack_int8(x, s, PerAxis{0}, amax);
      return {{"", as_bytes(p.codes)}, {"_scale", as_bytes(p.scales)}};
    }
    case Fmt::int4_block16: {
      const auto p = pack_int4_export(x, m, 16, amax);
      return {{"", p.codes}, {"_scale", as_bytes(p.scales)}};
    }
    case Fmt::mxfp4: {
      const auto p = pack_mxfp4(x);
      return {{"", p.codes}, {"_scale", p.scales}};
    }
    case Fmt::mxfp8: {
      const auto p = pack_mxfp8(x, m);
      return {{"", p.codes}, {"_scale", p.scales}};
    }
  }
  return {};
}

}  // namespace qcfg::test
