// Small helpers shared by the rules: locations, entry descriptions, attribute access.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lint/context.h"
#include "lint/rule.h"
#include "resolver/attributes.h"

namespace qcfg::lint {

// The first known location.
SourceLocation best_loc(std::initializer_list<SourceLocation> candidates);

// "'*weight_quantizer'" or "'*' (parent_class nn.Linear)".
std::string entry_label(const QuantizerEntry& e);
// "line 12" in the file being linted, "path:12:5" elsewhere (an imported snippet).
std::string place(const SourceLocation& loc, const LintContext& ctx);

bool has_parent_filter(const QuantizerEntry& e);
// Both entries filter on the same class, or `later` has no filter (so it reaches at least every
// quantizer `earlier` reaches when its pattern covers `earlier`'s).
bool parent_covers(const QuantizerEntry& later, const QuantizerEntry& earlier);

// The written attribute mappings of an entry's cfg: one (single), one per item (sequential),
// none. Rules that branch on attribute fields read QuantizerEntry::attributes(_set) instead.
std::vector<const Value*> cfg_set_items(const QuantizerEntry& e);

using Rotation = RotationAttributes;
// The rotation of a full attribute mapping (`rotate: true` is mode rotate, enabled), as
// read_quantizer_attributes (schema/quantizer_attributes.h) reads it.
Rotation rotation_of(const Value& attributes);
// The typed attributes of a single cfg (nullptr for a sequential cfg or none).
const QuantizerAttributes* single_attributes(const QuantizerEntry& e);
// `at` when it lies in the file being linted, else the entry.
SourceLocation here_or_entry(const LintContext& ctx, const SourceLocation& at,
                             const QuantizerEntry& e);

// The last dotted component of a quantizer name.
std::string leaf_of(const std::string& name);

// Entry indices whose pattern (and parent filter) matched each quantizer of a resolution.
std::vector<std::vector<uint32_t>> matches_by_quantizer(const resolver::Resolution& r);

// ASCII lower case (fnmatch and registry keys are case-sensitive; hints compare without case).
std::string ascii_lower(std::string s);

// "a, b, c and 4 more".
std::string name_sample(const std::vector<std::string>& names, size_t shown = 3);

// Model rules collect offending quantizer descriptions under the entry that configured them
// (its index); this reports one finding per entry of this file, at its cfg.
// message(entry label, count, sample of two names) gives the finding's text.
using FindingsByEntry = std::map<int32_t, std::vector<std::string>>;
void report_by_entry(
    const LintContext& ctx, const ConfigUnderLint& c, const FindingsByEntry& by_entry,
    Reporter& out,
    const std::function<std::string(const std::string&, size_t, const std::string&)>& message);

// The same for rules about what the whole config produces (an exported checkpoint): an entry
// imported from another file is reported at the config in this file (its `quantize:` key, or
// the document), its label followed by the entry's `path:line:col`.
void report_by_entry_or_import(
    const LintContext& ctx, const ConfigUnderLint& c, const FindingsByEntry& by_entry,
    Reporter& out,
    const std::function<std::string(const std::string&, size_t, const std::string&)>& message);
// Where a config sits in this file: the key of its top-level section, else the document.
SourceLocation config_anchor(const LintContext& ctx, const ConfigUnderLint& c);

}  // namespace qcfg::lint
