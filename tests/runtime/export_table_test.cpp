// The export-layout table (resolver::export_algo_table) is the one home of each algo's layout:
// this enumerates it and checks every consumer against each row (the algo decision, the names
// and group sizes written to hf_quant_config.json, input_scale bounds, the output tensors, the
// config.json groups). The packers (runtime/compute.cpp) are checked against the same outputs
// at run time: a packed tensor whose size differs from its planned output is a logic_error
// (tests/runtime/apply_test.cpp exports every algo).
#include <doctest/doctest.h>

#include <map>
#include <set>

#include "compiler/document/reader.h"
#include "runtime/export_format.h"
#include "runtime/hf_config.h"

namespace qcfg::test {
namespace {

using resolver::ExportAlgo;
using resolver::ExportAlgoInfo;

constexpr const char* kFp8 = R"({"num_bits": [4, 3]})";
constexpr const char* kNvfp4 =
    R"({"num_bits": [2, 1], "block_sizes": {"-1": 16, "type": "dynamic", "scale_bits": [4, 3]}})";
constexpr const char* kMxfp4 =
    R"({"num_bits": [2, 1], "block_sizes": {"-1": 32, "type": "dynamic", "scale_bits": [8, 0]}})";

// A weight format (and input format, "" for none) that exports as each algo.
struct Sample {
  const char* weight;
  const char* input;
};
const std::map<ExportAlgo, Sample>& samples() {
  static const std::map<ExportAlgo, Sample> s = {
      {ExportAlgo::fp8, {kFp8, kFp8}},
      {ExportAlgo::fp8_per_channel, {R"({"num_bits": [4, 3], "axis": 0})", ""}},
      {ExportAlgo::fp8_block,
       {R"({"num_bits": [4, 3], "block_sizes": {"-1": 128, "-2": 128}})", ""}},
      {ExportAlgo::int8_weight_only, {R"({"num_bits": 8, "axis": 0})", ""}},
      {ExportAlgo::int8_smoothquant, {R"({"num_bits": 8, "axis": 0})", R"({"num_bits": 8})"}},
      {ExportAlgo::int4_awq, {R"({"num_bits": 4, "block_sizes": {"-1": 128}})", ""}},
      {ExportAlgo::nvfp4, {kNvfp4, kNvfp4}},
      {ExportAlgo::nvfp4_weight_only, {kNvfp4, ""}},
      {ExportAlgo::mxfp4, {kMxfp4, ""}},
      {ExportAlgo::mxfp4_fp8, {kMxfp4, kFp8}},
      {ExportAlgo::mxfp8,
       {R"({"num_bits": [4, 3], "block_sizes": {"-1": 32, "type": "dynamic", "scale_bits": [8, 0]}})",
        ""}},
  };
  return s;
}

runtime::QuantFormat format(const char* json) {
  static std::vector<std::unique_ptr<SourceFile>> files;  // locations outlive the call
  files.push_back(std::make_unique<SourceFile>(SourceFile{"<f>", "<f>", json}));
  return runtime::parse_format(read_json(*files.back()));
}

// The expected shape of each output of a [256, 512] weight, from the row's fields.
std::vector<std::vector<int64_t>> expected_shapes(const ExportAlgoInfo& row, int64_t group) {
  const int64_t out = 256, in = 512;
  std::vector<int64_t> codes = {out, in};
  if (row.outputs.codes == resolver::CodesShape::half_rows) codes = {out / 2, in};
  if (row.outputs.codes == resolver::CodesShape::half_cols) codes = {out, in / 2};
  std::vector<int64_t> scale;
  if (row.outputs.scale == resolver::ScaleShape::per_row) scale = {out};
  if (row.outputs.scale == resolver::ScaleShape::tiles_128) scale = {out / 128, 1, in / 128, 1};
  if (row.outputs.scale == resolver::ScaleShape::per_group) scale = {out, in / group};
  std::vector<std::vector<int64_t>> shapes = {codes, scale};
  if (row.outputs.global_scale) shapes.push_back({});
  return shapes;
}

runtime::OrderedJson hf_of(const ExportAlgoInfo& row, int64_t group) {
  runtime::Prepared p;
  p.quantized_modules["m"] = {row.hf_name, group};
  return runtime::hf_quant_config(p, "0.0");
}

}  // namespace

TEST_CASE("export table: one row per algo, in order, with distinct names") {
  const auto& table = resolver::export_algo_table();
  std::set<std::string> names;
  for (size_t i = 0; i < table.size(); ++i) {
    CHECK(static_cast<size_t>(table[i].algo) == i);
    CHECK(names.insert(table[i].hf_name).second);
    CHECK(resolver::export_algo_named(table[i].hf_name) == &table[i]);
  }
  CHECK(table.size() == samples().size());
  CHECK(resolver::export_algo_named(resolver::kMixedPrecision) == nullptr);
}

TEST_CASE("export table: every consumer agrees with every row") {
  for (const ExportAlgoInfo& row : resolver::export_algo_table()) {
    CAPTURE(row.hf_name);
    const Sample& s = samples().at(row.algo);
    const runtime::QuantFormat w = format(s.weight);
    std::optional<resolver::FormatSpec> input;
    if (*s.input) input = format(s.input);
    // The decision (resolver/export_algo.cpp) lands on this row.
    REQUIRE(resolver::export_algo(w, input) == row.algo);
    CHECK(runtime::algo_name(row.algo) == row.hf_name);
    CHECK(runtime::input_scale_bound(row.algo) == row.input_bound);
    const int64_t group = resolver::algo_group_size(row.algo, w);
    CHECK((group != 0) == (row.group_size != resolver::GroupSize::none));
    // The tensors (runtime/export_format.cpp).
    const int64_t scale_group = resolver::scale_group(row.algo, w);
    const auto tensors = runtime::export_tensors(row.algo, w, "m", "weight", {256, 512});
    const auto shapes = expected_shapes(row, scale_group);
    REQUIRE(tensors.size() == shapes.size());
    CHECK(tensors[0].name == "m.weight");
    CHECK(tensors[0].dtype == row.outputs.codes_dtype);
    CHECK(tensors[1].dtype == row.outputs.scale_dtype);
    for (size_t i = 0; i < shapes.size(); ++i) CHECK(tensors[i].shape == shapes[i]);
    // hf_quant_config.json and config.json (runtime/hf_config.cpp).
    const runtime::OrderedJson hf = hf_of(row, group);
    const runtime::OrderedJson& q = hf.at("quantization");
    CHECK(q.at("quant_algo") == row.hf_name);
    CHECK(q.contains("group_size") == (group > 0));
    CHECK(q.contains("pre_quant_scale") == row.awq_flags);
    const runtime::OrderedJson c = runtime::config_quantization(hf);
    CHECK(c.contains("config_groups") == (row.config_group != resolver::ConfigGroup::none));
    if (c.contains("config_groups")) {
      const runtime::OrderedJson& g = c.at("config_groups").at("group_0");
      CHECK(g.at("weights").at("num_bits") == row.config_num_bits);
      CHECK(g.contains("input_activations") ==
            (row.config_group == resolver::ConfigGroup::weights_and_inputs));
    }
  }
}

TEST_CASE("export table: a weight that does not fit the layout is refused, naming the algo") {
  const runtime::QuantFormat int4 = format(R"({"num_bits": 4, "block_sizes": {"-1": 128}})");
  CHECK_THROWS_WITH_AS(
      runtime::export_tensors(ExportAlgo::int4_awq, int4, "m", "weight", {255, 512}),
      "W4A16_AWQ export: output rows must be even (nibbles pair along rows)",
      std::invalid_argument);
  CHECK_THROWS_WITH_AS(runtime::export_tensors(ExportAlgo::mxfp8, int4, "m", "weight", {4, 48}),
                       "MXFP8 export: in-features 48 must be a multiple of the block 32",
                       std::invalid_argument);
  CHECK_THROWS_AS(
      runtime::export_tensors(ExportAlgo::fp8_block, int4, "m", "weight", {2, 128, 128}),
      std::invalid_argument);
}

}  // namespace qcfg::test
