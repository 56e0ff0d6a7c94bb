#include "runtime/plan_reader.h"

#include <optional>

#include "compiler/document/reader.h"
#include "compiler/input_file.h"
#include "runtime/plan_fast.h"

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
  stage.set_attributes(std::make_shared<const Value>(attributes));
  return true;
}

// A sequential quantizer has parallel lists `enabled` and `attributes`, one element per stage.
// `what` names it in messages ("sequential quantizer 'NAME'", "state 3").
bool read_sequential(const Value& enabled, const Value& attributes, const std::string& what,
                     PlanQuantizer& q, Diagnostics& diags) {
  if (!enabled.is_list() || !attributes.is_list() ||
      enabled.items().size() != attributes.items().size() || enabled.items().empty()) {
    diags.error(enabled.loc(),
                what + ": `enabled` and `attributes` must be lists of the same, non-zero length",
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

// `kind` and the stages of a quantizer record (plan_version 1) or a state (plan_version 2).
bool read_switches(const Value& record, const Value& enabled, const Value& attributes,
                   const std::string& what, PlanQuantizer& q, Diagnostics& diags) {
  const Value* kind = record.find("kind");
  q.sequential =
      kind != nullptr ? kind->is_string() && kind->as_string() == "sequential" : enabled.is_list();
  if (q.sequential) return read_sequential(enabled, attributes, what, q, diags);
  PlanStage stage;
  if (!read_stage(enabled, attributes, stage, diags)) return false;
  q.stages.push_back(std::move(stage));
  return true;
}

const Value* require(const Value& record, const char* key, Diagnostics& diags,
                     const char* record_kind = "quantizer record") {
  const Value* v = record.find(key);
  if (v == nullptr)
    diags.error(record.loc(), std::string(record_kind) + " has no `" + key + "`", kRule);
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
  if (read_switches(record, *enabled, *attributes, "sequential quantizer '" + q.name + "'", q,
                    diags))
    plan.quantizers.push_back(std::move(q));
}

// plan_version 2: `attribute_sets` and `states` tables, quantizer records {name, state}.
class PlanV2Reader {
 public:
  PlanV2Reader(Plan& plan, Diagnostics& diags) : plan_(plan), diags_(diags) {}

  // The document as read_json read it.
  void read(const Value& doc) {
    const Value* sets = list_field(doc, "attribute_sets");
    const Value* states = list_field(doc, "states");
    const Value* quantizers = list_field(doc, "quantizers");
    if (sets == nullptr || states == nullptr || quantizers == nullptr) return;
    read_tables(*sets, *states);
    plan_.quantizers.reserve(quantizers->items().size());
    for (const Value& record : quantizers->items()) read_record(record);
  }

  // What the fast reader read (plan_fast.h): the same tables, records already checked.
  void read(PlanV2Parts& parts) {
    read_tables(parts.attribute_sets, parts.states);
    plan_.quantizers.reserve(parts.records.size());
    for (PlanV2Parts::Record& r : parts.records) add(std::move(r.name), r.loc, r.state);
  }

 private:
  const Value* list_field(const Value& doc, const char* key) {
    const Value* v = doc.find(key);
    if (v == nullptr || !v->is_list()) {
      diags_.error(v ? v->loc() : doc.loc(), std::string("`") + key + "` must be a list", kRule);
      return nullptr;
    }
    return v;
  }

  void read_tables(const Value& sets, const Value& states) {
    sets_ = &sets;
    for (size_t k = 0; k < states.items().size(); ++k) read_state(states.items()[k], k);
  }

  // An index into `table` (of `size` rows), else a located error.
  bool index_in(const Value& v, size_t size, const char* table, size_t& out) {
    if (!v.is_int() || v.as_int() < 0 || static_cast<uint64_t>(v.as_int()) >= size) {
      diags_.error(v.loc(),
                   std::string("expected an index into `") + table + "` (0 to " +
                       std::to_string(size) + " exclusive), not " + v.repr(),
                   kRule);
      return false;
    }
    out = static_cast<size_t>(v.as_int());
    return true;
  }

  // `attributes` of a state with each index replaced by its mapping (lists stay lists).
  bool expand(const Value& refs, Value& out) {
    if (refs.is_list()) {
      out = Value::list(refs.loc());
      for (const Value& r : refs.items()) {
        Value item;
        if (!expand(r, item)) return false;
        out.push_back(std::move(item));
      }
      return true;
    }
    size_t k = 0;
    if (!index_in(refs, sets_->items().size(), "attribute_sets", k)) return false;
    out = sets_->items()[k];
    return true;
  }

  void read_state(const Value& state, size_t k) {
    std::optional<PlanQuantizer>& slot = states_.emplace_back();
    if (!state.is_map()) {
      diags_.error(state.loc(), "a state must be a mapping", kRule);
      return;
    }
    const Value* enabled = require(state, "enabled", diags_, "state");
    const Value* refs = require(state, "attributes", diags_, "state");
    Value attributes;
    if (enabled == nullptr || refs == nullptr || !expand(*refs, attributes)) return;
    PlanQuantizer q;
    if (read_switches(state, *enabled, attributes, "state " + std::to_string(k), q, diags_))
      slot = std::move(q);
  }

  void read_record(const Value& record) {
    if (!record.is_map()) {
      diags_.error(record.loc(), "a quantizer record must be a mapping", kRule);
      return;
    }
    const Value* name = require(record, "name", diags_);
    const Value* state = require(record, "state", diags_);
    if (name == nullptr || state == nullptr) return;
    if (!name->is_string() || name->as_string().empty()) {
      diags_.error(name->loc(), "`name` must be a non-empty string", kRule);
      return;
    }
    size_t k = 0;
    if (!index_in(*state, states_.size(), "states", k)) return;
    add(name->as_string(), record.loc(), k);
  }

  void add(std::string name, SourceLocation loc, size_t state) {
    if (!states_[state]) return;  // invalid, said once
    PlanQuantizer q = *states_[state];
    q.name = std::move(name);
    q.loc = loc;
    plan_.quantizers.push_back(std::move(q));
  }

  Plan& plan_;
  Diagnostics& diags_;
  const Value* sets_ = nullptr;
  std::vector<std::optional<PlanQuantizer>> states_;  // nullopt: invalid, already reported
};

}  // namespace

void PlanStage::set_attributes(std::shared_ptr<const Value> attributes) {
  shared_typed =
      std::make_shared<const QuantizerAttributes>(read_quantizer_attributes(*attributes));
  shared_attributes = std::move(attributes);
}

bool PlanQuantizer::any_enabled() const {
  for (const PlanStage& s : stages)
    if (s.enabled) return true;
  return false;
}

Plan read_plan(const SourceFile& file, Diagnostics& diags) {
  std::optional<PlanV2Parts> parts = read_plan_v2_parts(file, plan_limits());
  if (!parts) return read_plan_by_document_reader(file, diags);
  Plan plan;
  plan.origin = parts->inventory.value_or(file.path);
  plan.loc = SourceLocation{&file, 0, 0};
  PlanV2Reader(plan, diags).read(*parts);
  return plan;
}

Plan read_plan_by_document_reader(const SourceFile& file, Diagnostics& diags) {
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
  if (version == nullptr || !version->is_int() ||
      (version->as_int() != 1 && version->as_int() != 2)) {
    diags.error(version ? version->loc() : doc.loc(),
                "unsupported plan: expected \"plan_version\": 1 or 2; recompile it with `qcfg "
                "compile`",
                kRule);
    return plan;
  }
  if (const Value* inv = doc.find("inventory"); inv != nullptr && inv->is_string())
    plan.origin = inv->as_string();
  if (version->as_int() == 2) {
    PlanV2Reader(plan, diags).read(doc);
    return plan;
  }
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
