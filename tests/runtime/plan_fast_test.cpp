// The fast plan_version 2 reader (runtime/plan_fast.h) against the document reader: the same plan
// with the same positions where it answers, and no answer (so the document reader's located
// diagnostics) for whatever it cannot be sure to read identically.
#include "runtime/plan_fast.h"

#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "runtime/plan_reader.h"

using namespace qcfg;

namespace {

// A plan laid out as `qcfg compile` writes it, with a sequential state and escapes in a name.
const std::string kPlan = R"({
  "plan_version": 2,
  "inventory": "inv.json",
  "entries": [{"quantizer_name": "*", "loc": "r.yaml:1:3"}],
  "attribute_sets": [
    {"num_bits": 8, "axis": null, "block_sizes": {"-1": 16, "type": "dynamic"}},
    {"num_bits": [4, 3], "amax": 1.5e-3}
  ],
  "states": [
    {"kind": "tensor", "enabled": true, "hard_disabled": false, "attributes": 0},
    {"kind": "sequential", "enabled": [true, false], "attributes": [1, 0]}
  ],
  "quantizers": [
    {"name": "model.layers.0.mlp.weight_quantizer", "parent_class": "nn.Linear", "state": 0},
      {"name": "a\u00e9\n\"b\"", "parent_class": null, "state": 1},
    {"state": 0, "name": "last"}
  ]
})";

// One text read by read_plan and by the document reader alone.
struct BothReads {
  SourceManager sources;
  Diagnostics fast_diags, doc_diags;
  runtime::Plan fast, doc;

  // `fast`: whether the fast reader is expected to answer.
  BothReads(const std::string& text, bool fast_answers) {
    const SourceFile& f = *sources.add("plan.json", "plan.json", text);
    CHECK(runtime::read_plan_v2_parts(f, ReadLimits{}).has_value() == fast_answers);
    fast = runtime::read_plan(f, fast_diags);
    doc = runtime::read_plan_by_document_reader(f, doc_diags);
  }
};

void check_same(const runtime::Plan& a, const runtime::Plan& b) {
  CHECK(a.origin == b.origin);
  REQUIRE(a.quantizers.size() == b.quantizers.size());
  for (size_t i = 0; i < a.quantizers.size(); ++i) {
    const runtime::PlanQuantizer &x = a.quantizers[i], &y = b.quantizers[i];
    CAPTURE(y.name);
    CHECK(x.name == y.name);
    CHECK(x.loc.str() == y.loc.str());
    CHECK(x.sequential == y.sequential);
    REQUIRE(x.stages.size() == y.stages.size());
    for (size_t s = 0; s < x.stages.size(); ++s) {
      CHECK(x.stages[s].enabled == y.stages[s].enabled);
      CHECK(to_json(x.stages[s].attributes()) == to_json(y.stages[s].attributes()));
      CHECK(x.stages[s].attributes().loc().str() == y.stages[s].attributes().loc().str());
      const Value* bits = y.stages[s].attributes().find("num_bits");
      REQUIRE(bits != nullptr);
      CHECK(x.stages[s].attributes().find("num_bits")->loc().str() == bits->loc().str());
    }
  }
}

}  // namespace

TEST_CASE("fast plan reader: the document reader's plan, positions included") {
  for (const std::string& text : {kPlan, kPlan + "\n  ", std::string("\n\n") + kPlan}) {
    const BothReads r(text, true);
    REQUIRE_FALSE(r.fast_diags.has_errors());
    REQUIRE_FALSE(r.doc_diags.has_errors());
    REQUIRE(r.fast.quantizers.size() == 3);
    CHECK(r.fast.quantizers[1].name == "a\xC3\xA9\n\"b\"");
    CHECK(r.fast.quantizers[1].sequential);
    check_same(r.fast, r.doc);
  }
}

TEST_CASE(
    "fast plan reader: tables keep Python's JSON (NaN, big integers) through the document "
    "reader") {
  std::string text = kPlan;
  text.replace(text.find("1.5e-3"), 6, "NaN");
  text.replace(text.find("\"num_bits\": 8"), 13, "\"num_bits\": 123456789012345678901234567890");
  const BothReads r(text, true);
  REQUIRE_FALSE(r.fast_diags.has_errors());
  check_same(r.fast, r.doc);
}

TEST_CASE(
    "fast plan reader: declines what it cannot be sure of; read_plan then says what the "
    "document reader says") {
  const auto with = [](const std::string& from, const std::string& to) {
    std::string t = kPlan;
    const size_t at = t.find(from);
    REQUIRE(at != std::string::npos);
    return t.replace(at, from.size(), to);
  };
  const std::vector<std::string> cases = {
      with("\"plan_version\": 2", "\"plan_version\": 1"),
      with("\"inventory\": \"inv.json\"", "\"inventory\": 1, \"inventory\": \"x\""),
      with("\"state\": 1}", "\"state\": 2}"),                     // out of range
      with("\"state\": 1}", "\"state\": 1.0}"),                   // not an integer
      with("\"state\": 1}", "\"state\": 99999999999999999999}"),  // beyond 64 bits
      with("\"state\": 1}", "\"state\": 1, \"state\": 0}"),       // repeated
      with("\"state\": 1}", "\"state\": 1, \"extra\": 0}"),
      with("\"name\": \"last\"", "\"name\": \"\""),
      with("\"name\": \"last\"", "\"name\": \"\\ud800\""),  // a lone surrogate: WTF-8 there
      with("\"parent_class\": null", "\"parent_class\": nul"),
      with("\"quantizers\": [", "\"quantizers\": [1, "),
      kPlan + " x",
      "\xEF\xBB\xBF" + kPlan,
      with("\"states\": [", "\"states\": {\"a\": ["),
  };
  for (const std::string& text : cases) {
    CAPTURE(text);
    const BothReads r(text, false);
    const auto &d1 = r.fast_diags.items(), &d2 = r.doc_diags.items();
    REQUIRE(d1.size() == d2.size());
    for (size_t k = 0; k < d1.size(); ++k) {
      CHECK(d1[k].message == d2[k].message);
      CHECK(d1[k].loc.str() == d2[k].loc.str());
    }
    if (!r.fast_diags.has_errors()) check_same(r.fast, r.doc);
  }
}
