// The devices a run computes on: --device (one) or --devices (several; work units are spread over
// one worker pool per entry, docs/runtime.md "Several GPUs").
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace qcfg::runtime {

// auto | cuda | cpu. Throws ApplyError for cuda without a visible CUDA device.
at::Device pick_device(const std::string& requested);

// --devices LIST: `all` (every visible CUDA device), or a comma-separated list of CUDA ordinals
// and `cpu`. An entry may repeat (two pools on one device). Empty: {pick_device(device)}.
// Throws ApplyError naming the entry that is not a visible device.
std::vector<at::Device> pick_devices(const std::string& device, const std::string& devices);

// "cuda:0,cuda:1" (the run summary and report).
std::string devices_label(const std::vector<at::Device>& devices);

}  // namespace qcfg::runtime
