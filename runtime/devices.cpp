#include "runtime/devices.h"

#include <fmt/format.h>

#include <charconv>

#include "kernels/torch/tensor_ops.h"
#include "runtime/apply.h"

namespace qcfg::runtime {

at::Device pick_device(const std::string& requested) {
  const bool cuda = tensor_ops::cuda_available();
  if (requested == "cuda" && !cuda)
    throw ApplyError("--device cuda: no CUDA device is visible, or qcfg was built without CUDA");
  return (requested == "cuda" || (requested == "auto" && cuda)) ? at::Device(at::kCUDA)
                                                                : at::Device(at::kCPU);
}

namespace {

at::Device cuda_ordinal(std::string_view entry, int count) {
  int index = -1;
  const auto [end, ec] = std::from_chars(entry.data(), entry.data() + entry.size(), index);
  if (ec != std::errc() || end != entry.data() + entry.size() || index < 0)
    throw ApplyError(fmt::format(
        "--devices: '{}' is not a device; give `all`, CUDA ordinals (0,1,...) or `cpu`", entry));
  if (index >= count)
    throw ApplyError(fmt::format("--devices: CUDA device {} is not visible ({} visible{})", index,
                                 count, count == 0 ? ", or qcfg was built without CUDA" : ""));
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

}  // namespace

std::vector<at::Device> pick_devices(const std::string& device, const std::string& devices) {
  if (devices.empty()) return {pick_device(device)};
  const int count = tensor_ops::cuda_device_count();
  std::vector<at::Device> out;
  if (devices == "all") {
    if (count == 0)
      throw ApplyError("--devices all: no CUDA device is visible, or qcfg was built without CUDA");
    for (int i = 0; i < count; ++i) out.emplace_back(at::kCUDA, static_cast<c10::DeviceIndex>(i));
    return out;
  }
  std::string_view rest = devices;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view entry = rest.substr(0, comma);
    out.push_back(entry == "cpu" ? at::Device(at::kCPU) : cuda_ordinal(entry, count));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

std::string devices_label(const std::vector<at::Device>& devices) {
  std::string out;
  for (const at::Device& d : devices) out += (out.empty() ? "" : ",") + d.str();
  return out;
}

}  // namespace qcfg::runtime
