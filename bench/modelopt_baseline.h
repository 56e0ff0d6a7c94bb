// ModelOpt's own quant_cfg application (set_quantizer_by_cfg), timed in a Python child process
// (bench/modelopt_loop.py) on a stand-in module tree with an inventory's quantizer names: the
// in-run baseline of bench_compile.
#pragma once

#include <optional>
#include <string>

namespace qcfg::bench {

struct ModelOptLoop {
  double wall_ms = 0;
  double cpu_ms = 0;  // the loop only, as the child measured it (time.process_time)
  long quantizers = 0;
  long enabled = 0;  // TensorQuantizers enabled after the application
  std::string line;  // the child's MODELOPT_LOOP line
};

// Runs `python bench/modelopt_loop.py INVENTORY RECIPE`, its stderr to `log_path`. nullopt when
// the child fails or prints no result; `why` then says what happened (and where the log is).
std::optional<ModelOptLoop> run_modelopt_loop(const std::string& python,
                                              const std::string& inventory,
                                              const std::string& recipe,
                                              const std::string& log_path, std::string* why);

}  // namespace qcfg::bench
