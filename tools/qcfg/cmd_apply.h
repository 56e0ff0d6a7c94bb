// What `qcfg apply` and `qcfg ptq` share (defined in cmd_apply.cpp): the runtime options and
// running a plan.
#pragma once

#include <set>
#include <string>

#include "runtime/apply.h"
#include "tools/qcfg/cli.h"

namespace qcfg::cli {

inline const std::set<std::string> kApplyValueOptions = {
    "--model", "--out", "--mode", "--device", "--devices", "--jobs", "--act-amax", "--expert-layout",
    "--weight-calibration", "--weight-amax"};
inline const std::set<std::string> kApplyFlags = {"--quiet", "--no-sync", "--times"};

// Throws UsageError for missing or bad options.
runtime::ApplyOptions apply_options(const Args& args);

// Applies `plan` (reading --act-amax and --weight-amax first), prints diagnostics, notes and a
// summary; returns the exit code.
int run_apply_plan(const runtime::Plan& plan, const runtime::ApplyOptions& options,
                   const Args& args);

}  // namespace qcfg::cli
