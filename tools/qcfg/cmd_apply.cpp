// `qcfg apply`: apply a compiled plan to a safetensors checkpoint (runtime/apply.h).
#include "tools/qcfg/cmd_apply.h"

#include <fmt/format.h>

#include "resolver/plan.h"
#include "tools/qcfg/cmd_resolve_common.h"
#include "tools/qcfg/output.h"
#include "tools/qcfg/runtime_commands.h"

namespace qcfg::cli {

runtime::ApplyOptions apply_options(const Args& args) {
  runtime::ApplyOptions o;
  const auto model = args.path_value("--model");
  const auto out = args.path_value("--out");
  if (!model || !out) throw UsageError{"--model DIR and --out DIR are required"};
  o.model_dir = *model;
  o.out_dir = *out;
  o.mode = args.choice("--mode", {"fake", "export"}, "fake") == "export" ? runtime::Mode::export_hf
                                                                         : runtime::Mode::fake;
  o.device = args.choice("--device", {"auto", "cuda", "cpu"}, "auto");
  o.devices = args.value_or("--devices", "");
  if (args.value("--devices") && o.devices.empty())
    throw UsageError{"--devices needs a value: all, or CUDA ordinals such as 0,1"};
  const std::string jobs = args.value_or("--jobs", std::to_string(runtime::default_jobs()));
  try {
    o.jobs = std::stoi(jobs);
  } catch (const std::exception&) {
    o.jobs = 0;
  }
  if (o.jobs < 1 || o.jobs > 256) throw UsageError{"--jobs must be an integer from 1 to 256"};
  o.expert_layout = expert_layout_option(args);
  o.weights = args.choice("--weight-calibration", {"max", "mse-fp8-scale-sweep"}, "max") == "max"
                  ? runtime::WeightCalibration::max
                  : runtime::WeightCalibration::mse_fp8_scale_sweep;
  o.progress = !args.flag("--quiet");
  o.sync = !args.flag("--no-sync");
  return o;
}

namespace {

void print_summary(const runtime::ApplyOptions& o, const runtime::ApplySummary& s) {
  fmt::print(stderr,
             "qcfg: wrote {} ({} units, {} quantized; {} read, {} written) in {:.2f}s on {}\n",
             o.out_dir, s.units, s.quantized_units, resolver::human_bytes(s.bytes_read),
             resolver::human_bytes(s.bytes_written), s.seconds, s.device);
}

// --times: where the run's time went (each stage summed over the worker threads, so the sum can
// exceed the wall time; the largest says what bounds the run).
void print_stage_times(const runtime::ApplySummary& s) {
  fmt::print(stderr,
             "qcfg: stage seconds summed over workers: read {:.2f}, compute {:.2f}, write {:.2f}, "
             "flush {:.2f}\n",
             s.read_seconds, s.compute_seconds, s.write_seconds, s.flush_seconds);
}

}  // namespace

int run_apply_plan(const runtime::Plan& plan, const runtime::ApplyOptions& given,
                   const Args& args) {
  runtime::ApplyOptions options = given;
  Diagnostics diags;
  runtime::ApplySummary summary;
  try {
    if (const auto file = args.value("--act-amax")) {
      options.act_amax = runtime::read_act_amax(*file);
      options.act_amax_file = *file;
    }
    if (const auto file = args.value("--weight-amax")) {
      options.weight_amax = runtime::read_weight_amax(*file);
      options.weight_amax_file = *file;
    }
    const bool ok = runtime::apply_plan(plan, options, diags, &summary);
    print_diagnostics(diags);
    if (!ok) {
      fmt::print(stderr, "qcfg: the plan does not apply to {}; nothing was written\n",
                 options.model_dir);
      return kExitInvalid;
    }
  } catch (const std::exception& e) {
    print_diagnostics(diags);
    fmt::print(stderr, "error: {}; nothing was written\n", e.what());
    return kExitUsage;
  }
  if (options.progress) print_summary(options, summary);
  if (args.flag("--times")) print_stage_times(summary);
  return kExitOk;
}

namespace {

int run_apply(const std::vector<std::string>& argv) {
  Args args(argv, kApplyValueOptions, kApplyFlags);
  if (args.positionals().size() != 1) throw UsageError{"expected exactly one PLAN"};
  const runtime::ApplyOptions options = apply_options(args);
  SourceManager sources;
  Diagnostics diags;
  const runtime::Plan plan = runtime::read_plan_file(args.positionals()[0], sources, diags);
  print_diagnostics(diags);
  if (diags.has_errors()) return kExitInvalid;
  return run_apply_plan(plan, options, args);
}

const char* kUsage =
    R"(usage: qcfg apply PLAN --model DIR --out DIR [--mode fake|export] [--device auto|cuda|cpu]
                  [--devices all|0,1,...] [--jobs N] [--act-amax FILE] [--expert-layout auto|fused|per-expert]
                  [--weight-calibration max|mse-fp8-scale-sweep] [--weight-amax FILE]
                  [--no-sync] [--times] [--quiet]

Applies a compiled plan (`qcfg compile -o PLAN`) to the safetensors checkpoint in DIR, streaming
it tensor by tensor, and writes a new checkpoint to --out. Every check runs before anything is
written; a failed check writes nothing. The output appears only when complete.

  --model DIR        input checkpoint (model.safetensors or index + shards); never modified
  --out DIR          output directory; must not exist
  --mode fake        weights fake-quantized in their original dtype (default)
  --mode export      unified Hugging Face checkpoint as ModelOpt exports it: packed weights and
                     scales, hf_quant_config.json, quantization_config in config.json
  --device D         auto (CUDA when present, default), cuda or cpu; results are identical
  --devices LIST     spread the work over several GPUs: all, or CUDA ordinals (0,1,...; `cpu`
                     may be listed too); one pool of --jobs workers per entry, largest tensors
                     first; the output is the same bytes as a one-device run
  --jobs N           units in flight per device, overlapping read, compute and write (default:
                     half the CPU threads, 2 to 8)
  --act-amax FILE    JSON {"<activation quantizer>": amax}: static activation amax that become
                     input_scale / k_scale / v_scale in export mode
  --expert-layout L  auto (default), fused or per-expert: how MoE experts are named, as
                     the plan was compiled. fused is
                     transformers >= 5's module tree (`experts.gate_up_proj_weight_quantizers.E`,
                     gate and up of an expert one quantizer); auto picks it from config.json
                     (transformers_version >= 5 and a model type it fuses)
  --weight-calibration C
                     max (default), or mse-fp8-scale-sweep: the recipe's algorithm is `mse` with
                     `fp8_scale_sweep: true`, so static NVFP4 weights get the FP8 block scales
                     of ModelOpt's sweep (`qcfg ptq` sets this from the recipe itself)
  --weight-amax FILE JSON {"<weight quantizer>": {"amax": [...], "global_amax": g}}: the first
                     stage's amax of those weights in calibration's layout (per block for
                     static NVFP4), used instead of max calibration on the checkpoint;
                     qcfg.torch writes it for GPTQ, whose weights change after calibration
  --no-sync          do not flush the output to disk before it is renamed into place: faster
                     where the disk is slower than the run (scratch storage), but a power loss
                     can then leave a complete-looking output with missing data
  --times            print the seconds each stage took (read, compute, write, flush), summed
                     over the worker threads
  --quiet            no progress output

Also writes qcfg_runtime.json into the output: calibrated weight amax per quantizer, activation
quantizers that still need calibration data, modules whose inputs must be rotated.

Exit status: 0 ok, 1 the plan does not apply to this checkpoint or cannot be read, 2 usage or
I/O error.
)";

QCFG_REGISTER_COMMAND(Command{"apply", std::string(runtime_summary("apply")), kUsage, run_apply});

}  // namespace
}  // namespace qcfg::cli
