// `qcfg ptq`: compile RECIPE against the checkpoint and apply the plan, in one process. The plan
// goes through the same reader and apply path as `qcfg apply` (never a second interpretation).
#include <fmt/format.h>

#include <map>

#include "compiler/source.h"
#include "resolver/plan.h"
#include "runtime/plan_reader.h"
#include "schema/calibration_methods.h"
#include "tools/qcfg/cmd_apply.h"
#include "tools/qcfg/cmd_resolve_common.h"
#include "tools/qcfg/output.h"
#include "tools/qcfg/runtime_commands.h"

namespace qcfg::cli {
namespace {

// The recipe entry that last set a quantizer's attributes (its first child's, for a
// SequentialQuantizer that no entry set as a whole); unknown when none did.
SourceLocation deciding_entry(const resolver::Resolution& r, const resolver::QuantizerNode& n) {
  if (n.last_cfg_entry >= 0) {
    const QuantizerEntry& e = (*r.entries)[static_cast<size_t>(n.last_cfg_entry)];
    return e.cfg_loc.known() ? e.cfg_loc : e.loc;
  }
  return n.children.empty() ? SourceLocation{} : deciding_entry(r, n.children[0]);
}

constexpr const char* kAcceptMax = "--accept-max-calibration";

// `algorithm: {method: mse, fp8_scale_sweep: true}`: the one weight-changing algorithm the
// runtime runs (static NVFP4 weights swept, every other weight left at max, as ModelOpt does).
bool is_mse_fp8_scale_sweep(const Value& algorithm) {
  if (!algorithm.is_map()) return false;
  const Value* method = algorithm.find("method");
  const Value* sweep = algorithm.find("fp8_scale_sweep");
  return method != nullptr && method->is_string() && method->as_string() == "mse" &&
         sweep != nullptr && sweep->is_bool() && sweep->as_bool();
}

// qcfg's runtime calibrates weights with max (or the MSE FP8 scale sweep above). A recipe whose
// algorithm changes the weights or their amax otherwise (GPTQ, MSE without the sweep, AWQ,
// SmoothQuant, ...) would get a checkpoint other than the one ModelOpt writes for it, silently:
// refuse, unless the user accepts max calibration.
// GPTQ runs in the Python package (qcfg.torch.quantize: it needs the model's forward), which
// then exports through `qcfg ptq` with the changed weights and their --weight-amax.
bool algorithm_runs_here(const QuantizeConfig& qc, bool accept_max, bool weight_amax_given) {
  Diagnostics diags;
  if (is_mse_fp8_scale_sweep(qc.algorithm)) return true;
  for (const Value* m : algorithm_method_values(qc.algorithm)) {
    const CalibrationMethod* method = find_calibration_method(m->as_string());
    if (method != nullptr && method->weights_as_max) continue;
    const bool gptq = m->as_string() == "gptq";
    if (gptq && weight_amax_given) continue;
    const std::string text = fmt::format(
        "calibration algorithm '{}' is not run by qcfg: its weights would be "
        "max-calibrated, which is not what ModelOpt writes for this recipe; {}, or pass {} to "
        "accept max calibration",
        m->as_string(),
        gptq ? "run GPTQ with the Python package, which has the model's forward "
               "(qcfg.torch.quantize, then qcfg.torch.export_hf_checkpoint; or `python -m qcfg "
               "calibrate --model DIR --recipe RECIPE --data FILE --out DIR`; docs/python.md)"
             : "run it with ModelOpt",
        kAcceptMax);
    if (accept_max)
      diags.warning(m->loc(), text, "runtime-check");
    else
      diags.error(m->loc(), text, "runtime-check");
  }
  print_diagnostics(diags);
  return !diags.has_errors();
}

// Problems found while applying are then reported at the recipe line, not in the plan text.
void locate_in_recipe(const resolver::Resolution& r, runtime::Plan& plan) {
  std::map<std::string, const resolver::QuantizerNode*> by_name;
  for (size_t i = 0; i < r.quantizers.size(); ++i)
    by_name[r.inventory->quantizers[i].name] = &r.quantizers[i].node;
  for (runtime::PlanQuantizer& q : plan.quantizers)
    if (auto it = by_name.find(q.name); it != by_name.end())
      q.decided_at = deciding_entry(r, *it->second);
}

int run_ptq(const std::vector<std::string>& argv) {
  std::set<std::string> value_options = kApplyValueOptions;
  value_options.insert({"--recipe-root", "--initial"});
  std::set<std::string> flags = kApplyFlags;
  flags.insert(kAllowOutsideRoot);  // read by load_config_for_resolve
  flags.insert(kAcceptMax);
  Args args(argv, value_options, flags);
  if (args.positionals().size() != 1) throw UsageError{"expected exactly one RECIPE"};
  runtime::ApplyOptions options = apply_options(args);
  std::optional<resolver::Inventory> inv;
  try {
    inv = resolver::load_inventory(options.model_dir, options.expert_layout);
  } catch (const resolver::InventoryError& e) {
    print_inventory_error(e);
    return kExitInvalid;
  }
  SourceManager sources;
  std::optional<QuantizeConfig> qc = load_config_for_resolve(args.positionals()[0], args, sources);
  if (!qc ||
      !algorithm_runs_here(*qc, args.flag(kAcceptMax), args.value("--weight-amax").has_value()))
    return kExitInvalid;
  if (is_mse_fp8_scale_sweep(qc->algorithm))
    options.weights = runtime::WeightCalibration::mse_fp8_scale_sweep;
  const resolver::Resolution r = resolver::resolve(*inv, qc->quant_cfg, resolve_options(args));
  print_diagnostics(r.diagnostics);
  if (!r.ok()) return kExitInvalid;
  resolver::PlanOptions po;
  po.provenance = false;
  po.version = 2;  // what `qcfg compile` writes; the reader takes both
  const std::string name = args.positionals()[0] + " (compiled plan)";
  const SourceFile* text = sources.add(name, name, resolver::plan_to_json(r, po));
  Diagnostics diags;
  runtime::Plan plan = runtime::read_plan(*text, diags);
  print_diagnostics(diags);
  if (diags.has_errors()) return kExitInvalid;
  locate_in_recipe(r, plan);
  return run_apply_plan(plan, options, args);
}

const char* kUsage =
    R"(usage: qcfg ptq RECIPE --model DIR --out DIR [--mode fake|export] [--device auto|cuda|cpu]
                [--devices all|0,1,...] [--jobs N] [--act-amax FILE] [--recipe-root DIR]
                [--initial modelopt|defaults]
                [--expert-layout auto|fused|per-expert] [--weight-calibration C]
                [--allow-outside-root]
                [--accept-max-calibration] [--no-sync] [--times] [--quiet]

Compiles RECIPE (a PTQ recipe or quantize config) against the checkpoint in DIR, as `qcfg
compile --model DIR` does, and applies the plan, as `qcfg apply` does, in one step. See
`qcfg apply --help` for the options.

  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)
  --accept-max-calibration
                       run a recipe whose algorithm changes the weights (gptq, mse, awq_*,
                       smoothquant, svdquant, local_hessian, lsq) with max calibration instead
                       (a warning); refused by default, since the result is not ModelOpt's

Exit status: 0 ok, 1 invalid recipe or a plan that does not apply, 2 usage or I/O error.
)";

QCFG_REGISTER_COMMAND(Command{"ptq", std::string(runtime_summary("ptq")), kUsage, run_ptq});

}  // namespace
}  // namespace qcfg::cli
