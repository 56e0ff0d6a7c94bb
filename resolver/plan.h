// The resolved plan: shared/spec/contract.md §2 shape as a Value (plan_version 1, quantizers in
// inventory order with enabled / attributes / last_cfg_entry / last_enable_entry) plus provenance,
// and a human summary (quantizers and weight bytes per resolved format, what stays unquantized).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "compiler/value.h"
#include "resolver/resolve.h"

namespace qcfg::resolver {

struct PlanOptions {
  bool provenance = true;  // matched/overridden entries and entry locations per quantizer
  // 1: one full record per quantizer; 2: distinct attribute mappings and states listed once,
  // quantizers referring to them (docs/plan-format.md). `qcfg compile` writes 2 by default.
  int version = 1;
};

// The plan_version 1 tree (tests, conformance).
Value plan_to_value(const Resolution& r, const PlanOptions& options = {});

// Version 1: exactly to_json(plan_to_value(r, options)) (no final newline). Either version is
// streamed to `out` quantizer by quantizer in ~1 MiB chunks: for large models (DeepSeek-V3: 135k
// quantizers) neither the tree nor the text is ever whole in memory.
void write_plan_json(const Resolution& r, std::ostream& out, const PlanOptions& options = {});
// The same text as a string (tests, small models).
std::string plan_to_json(const Resolution& r, const PlanOptions& options = {});

// One quantizer's final state: `enabled` (bool, or nested lists for an SQ) and `attributes`
// (mapping without enable, or nested lists).
Value node_enabled_value(const QuantizerNode& node);
Value node_attributes_value(const QuantizerNode& node);

// "NVFP4", "disabled", or "INT4 block 128 + FP8 E4M3" for a sequential quantizer.
std::string node_format_label(const QuantizerNode& node);

// Of the entries that matched a quantizer (matched_entries), those whose effect a later entry
// replaced: everything before the last full replacement, and enable-only entries after it that
// are not the last to set enable. (An enable-only false keeps one lasting effect even then: it
// turned rotation off.)
std::vector<uint32_t> overridden_entries(const ResolvedQuantizer& q,
                                         const std::vector<uint32_t>& matched);

std::string plan_summary_text(const Resolution& r);

// "1.5 GiB", "12.0 MiB", "512 B".
std::string human_bytes(uint64_t bytes);

}  // namespace qcfg::resolver
