#include "runtime/plan_reader.h"

#include "compiler/document/reader.h"
#include "compiler/input_file.h"

namespace qcfg::runtime {
namespace {

constexpr const char* kRule = "plan-format";

// Plans of large models are big (DeepSeek-V3: 135k quantizers); the document limits grow with
// them, the file size stays bounded.
ReadLimits plan_limits() {
  ReadLimits l;
  l.max_nodes = 200'000'000;
  l.max_bytes = size_t{2} << 30;
  return l;
}

bool read_stage(const Value& enabled, const Value& attributes, PlanStage& stage,
                Diagnostics& diags) {
  if (!enabled.is_bool()) {
    diags.error(enabled.loc(), "`enabled` must be true or false, not " + enabled.python_type(),
                kRule);
    return false;
  }
  if (!attributes.is_map()) {
    diags.error(attributes.loc(), "`attributes` must be a mapping, not " + attributes.python_type(),
                kRule);
    return false;
  }
  stage.enabled = enabled.as_bool();
  stage.attributes = attributes;
  return true;
}

// A sequential quantizer has parallel lists `enabled` and `attributes`, one element per stage.
bool read_sequential(const Value& enabled, const Value& attributes, PlanQuantizer& q,
                     Diagnostics& diags) {
  if (!enabled.is_list() || !attributes.is_list() ||
      enabled.items().size() != attributes.items().size() || enabled.items().empty()) {
    diags.error(enabled.loc(),
                "sequential quantizer '" + q.name +
                    "': `enabled` and `attributes` must be lists of the same, non-zero length",
                kRule);
    return false;
  }
  for (size_t i = 0; i < enabled.items().size(); ++i) {
    PlanStage stage;
    if (!read_stage(enabled.items()[i], attributes.items()[i], stage, diags)) return false;
    q.stages.push_back(std::move(stage));
  }
  return true;
}

const Value* require(const Value& record, const char* key, Diagnostics& diags) {
  const Value* v = record.find(key);
  if (v == nullptr)
    diags.error(record.loc(), std::string("quantizer record has no `") + key + "`", kRule);
  return v;
}

void read_quantizer(const Value& record, Plan& plan, Diagnostics& diags) {
  if (!record.is_map()) {
    diags.error(record.loc(), "a quantizer record must be a mapping", kRule);
    return;
  }
  const Value* name = require(record, "name", diags);
  const Value* enabled = require(record, "enabled", diags);
  const Value* attributes = require(record, "attributes", diags);
  if (name == nullptr || enabled == nullptr || attributes == nullptr) return;
  if (!name->is_string() || name->as_string().empty()) {
    diags.error(name->loc(), "`name` must be a non-empty string", kRule);
    return;
  }
  PlanQuantizer q;
  q.name = name->as_string();
  q.loc = record.loc();
  const Value* kind = record.find("kind");
  q.sequential =
      kind != nullptr ? kind->is_string() && kind->as_string() == "sequential" : enabled->is_list();
  bool ok = false;
  if (q.sequential) {
    ok = read_sequential(*enabled, *attributes, q, diags);
  } else {
    PlanStage stage;
    ok = read_stage(*enabled, *attributes, stage, diags);
    if (ok) q.stages.push_back(std::move(stage));
  }
  if (ok) plan.quantizers.push_back(std::move(q));
}

}  // namespace

bool PlanQuantizer::any_enabled() const {
  for (const PlanStage& s : stages)
    if (s.enabled) return true;
  return false;
}

Plan read_plan(const SourceFile& file, Diagnostics& diags) {
  Plan plan;
  plan.origin = file.path;
  Value doc;
  try {
    doc = read_json(file, plan_limits());
  } catch (const CompileError& e) {
    for (const Diagnostic& d : e.diagnostics()) diags.add(d);
    return plan;
  }
  plan.loc = SourceLocation{&file, 0, 0};
  if (!doc.is_map()) {
    diags.error(doc.loc(), "a plan is a JSON object (the output of `qcfg compile`)", kRule);
    return plan;
  }
  const Value* version = doc.find("plan_version");
  if (version == nullptr || !version->is_int() || version->as_int() != 1) {
    diags.error(version ? version->loc() : doc.loc(),
                "unsupported plan: expected \"plan_version\": 1; recompile it with `qcfg compile`",
                kRule);
    return plan;
  }
  if (const Value* inv = doc.find("inventory"); inv != nullptr && inv->is_string())
    plan.origin = inv->as_string();
  const Value* quantizers = doc.find("quantizers");
  if (quantizers == nullptr || !quantizers->is_list()) {
    diags.error(quantizers ? quantizers->loc() : doc.loc(), "`quantizers` must be a list", kRule);
    return plan;
  }
  for (const Value& record : quantizers->items()) read_quantizer(record, plan, diags);
  return plan;
}

Plan read_plan_file(const std::string& path, SourceManager& sources, Diagnostics& diags) {
  const SourceFile* file = nullptr;
  try {
    // Bounded: a file over the limit is refused before any of it is read.
    file = read_input_file(sources, path, plan_limits().max_bytes,
                           "the plans of the largest models are far smaller: check that this is "
                           "the plan `qcfg compile -o` wrote");
  } catch (const CompileError& e) {
    for (const Diagnostic& d : e.diagnostics()) diags.add(d);
    return {};
  }
  return read_plan(*file, diags);
}

}  // namespace qcfg::runtime
