#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "compiler/json_writer.h"
#include "compiler/loader/loader.h"

namespace fs = std::filesystem;
using namespace qcfg;
using namespace qcfg::loader;

namespace {

class TempTree {
 public:
  TempTree() : root_(fs::temp_directory_path() / ("qcfg-loader-" + std::to_string(::getpid()))) {
    fs::create_directories(root_);
  }
  ~TempTree() { fs::remove_all(root_); }
  std::string write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string dir(const std::string& rel = "") const { return (root_ / rel).string(); }

 private:
  fs::path root_;
};

std::string compact(const Value& v) { return to_json(v, JsonStyle{-1, true}); }

}  // namespace

TEST_CASE("schema header: ModelOpt's scan rules") {
  CHECK(scan_schema_header("# modelopt-schema: a.b\nx: 1\n").value == "a.b");
  CHECK(scan_schema_header("# license\n\n#   modelopt-schema:   a.b  \n").value == "a.b");
  CHECK(scan_schema_header("#modelopt-schema: a b\n").value.empty());  // two tokens: ignored
  CHECK(scan_schema_header("x: 1\n# modelopt-schema: a.b\n").value.empty());  // after content
  CHECK(scan_schema_header("\xEF\xBB\xBF# modelopt-schema: a.b\n").value.empty());  // BOM
  SchemaHeader twice = scan_schema_header("# modelopt-schema: a\n# modelopt-schema: b\n");
  CHECK(twice.duplicated);
  CHECK(twice.duplicate_line == 2);
  SchemaHeader located = scan_schema_header("\n# x\n  # modelopt-schema: m.C\n");
  CHECK(located.line == 3);
  CHECK(located.column == 22);
}

TEST_CASE("schema header paths resolve like ModelOpt's importer") {
  CHECK(schema_from_header_path("modelopt.torch.quantization.config.QuantizerCfgListConfig").kind ==
        SchemaKind::EntryList);
  CHECK(schema_from_header_path("modelopt.recipe.config.LayerPatternList").kind ==
        SchemaKind::StringList);
  CHECK(schema_from_header_path("torch.quantization.config.QuantizeConfig").error.find(
            "must live under 'modelopt.'") != std::string::npos);
  CHECK(schema_from_header_path("modelopt.torch.quantization.config.Nope").error.find(
            "Cannot resolve") != std::string::npos);
  CHECK(schema_from_header_path("modelopt.nowhere.Thing").error.find("No module named") !=
        std::string::npos);
}

TEST_CASE("typed positions: where a list $import splices or appends") {
  CHECK(child_schema(SchemaKind::PtqRecipe, "quantize") == SchemaKind::QuantizeConfig);
  CHECK(child_schema(SchemaKind::QuantizeConfig, "quant_cfg") == SchemaKind::EntryList);
  CHECK(list_element_schema(SchemaKind::EntryList) == SchemaKind::Entry);
  CHECK(list_element_schema(child_schema(SchemaKind::Entry, "cfg")) ==
        SchemaKind::AttributeConfig);
  CHECK(child_schema(child_schema(SchemaKind::AutoQuantizeRecipe, "auto_quantize"),
                     "candidate_formats") == SchemaKind::QuantizeConfigList);
  CHECK_FALSE(is_typed_list(SchemaKind::None));
}

TEST_CASE("ExMy strings convert only under num_bits and scale_bits") {
  Value m = Value::map();
  m.set("num_bits", Value::string("E4m3"));
  m.set("backend", Value::string("e4m3"));
  Value bs = Value::map();
  bs.set("scale_bits", Value::string("e8m0"));
  m.set("block_sizes", bs);
  Value list = Value::list();
  list.push_back(Value::string("e4m3"));
  Value holder = Value::map();
  holder.set("num_bits", list);
  m.set("nested", holder);
  m.set("scale_bits", Value::string("e4m3x"));
  convert_exmy_strings(m);
  CHECK(compact(m) ==
        "{\"backend\": \"e4m3\", \"block_sizes\": {\"scale_bits\": [8, 0]}, \"nested\": "
        "{\"num_bits\": [\"e4m3\"]}, \"num_bits\": [4, 3], \"scale_bits\": \"e4m3x\"}");
  CHECK(m.find("num_bits")->is_tuple());
}

TEST_CASE("documents rule: empty, null first, merge, list snippet, three documents") {
  TempTree t;
  SourceManager sm;
  Loader loader(sm, LoaderOptions{}, nullptr);
  CHECK(compact(loader.load_raw(t.write("empty.yaml", "# only a comment\n")).data) == "{}");
  CHECK(compact(loader.load_raw(t.write("null.yaml", "---\n---\na: 1\n")).data) == "{}");
  CHECK(compact(loader.load_raw(t.write("merge.yaml", "a: 1\nb: 1\n---\nb: 2\n")).data) ==
        "{\"a\": 1, \"b\": 2}");
  RawFile snippet = loader.load_raw(t.write("list.yaml", "imports: {x: y}\nother: 1\n---\n- 1\n"));
  CHECK(snippet.list_snippet);
  CHECK(compact(snippet.header_imports) == "{\"x\": \"y\"}");
  CHECK(compact(snippet.data) == "[1]");
  CHECK_THROWS_AS(loader.load_raw(t.write("three.yaml", "a: 1\n---\nb: 1\n---\nc: 1\n")),
                  CompileError);
  CHECK_THROWS_AS(loader.load_raw(t.write("scalar.yaml", "5\n")), CompileError);
  CHECK_THROWS_AS(loader.load_raw(t.write("header_list.yaml", "- 1\n---\n- 2\n")), CompileError);
}

TEST_CASE("imports resolve from the working directory first, then the recipe root") {
  TempTree t;
  const std::string header = "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgEntry\n";
  t.write("root/units/x.yaml", header + "quantizer_name: from_root\nenable: false\n");
  t.write("cwd/units/x.yaml", header + "quantizer_name: from_cwd\nenable: false\n");
  const std::string top =
      t.write("cwd/top.yaml", "imports: {x: units/x}\nquant_cfg:\n  - $import: x\n");
  SourceManager sm;
  LoaderOptions o;
  o.recipe_root = t.dir("root");
  o.cwd = t.dir("cwd");
  Loader with_cwd(sm, o, nullptr);
  LoadedConfig a = with_cwd.load_config(top, SchemaKind::QuantizeConfig);
  CHECK(compact(a.data) == "{\"quant_cfg\": [{\"enable\": false, \"quantizer_name\": \"from_cwd\"}]}");
  o.cwd = t.dir();
  Loader root_only(sm, o, nullptr);
  LoadedConfig b = root_only.load_config(top, SchemaKind::QuantizeConfig);
  CHECK(compact(b.data) == "{\"quant_cfg\": [{\"enable\": false, \"quantizer_name\": \"from_root\"}]}");
}

TEST_CASE("$import merges shallowly and inline keys win") {
  TempTree t;
  t.write("fmt.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerAttributeConfig\n"
          "num_bits: e2m1\nblock_sizes: {-1: 16, type: dynamic}\n");
  const std::string top = t.write(
      "top.yaml",
      "imports: {f: fmt}\nquant_cfg:\n  - quantizer_name: w\n    cfg: {$import: f, block_sizes: {-1: 32}}\n");
  SourceManager sm;
  LoaderOptions o;
  o.cwd = t.dir();
  Loader loader(sm, o, nullptr);
  LoadedConfig c = loader.load_config(top, SchemaKind::QuantizeConfig);
  CHECK(compact(c.data) ==
        "{\"quant_cfg\": [{\"cfg\": {\"block_sizes\": {\"-1\": 32}, \"num_bits\": [2, 1]}, "
        "\"quantizer_name\": \"w\"}]}");
  // Values keep the location of the file they came from (provenance after import expansion).
  const Value& num_bits = *c.data.find("quant_cfg")->items()[0].find("cfg")->find("num_bits");
  CHECK(num_bits.loc().file->path.find("fmt.yaml") != std::string::npos);
  CHECK(num_bits.loc().line == 2);
}

TEST_CASE("import errors: missing file, no schema, undeclared, wrong list schema") {
  TempTree t;
  SourceManager sm;
  LoaderOptions o;
  o.cwd = t.dir();
  Loader loader(sm, o, nullptr);
  auto rule_of = [&](const std::string& top) {
    try {
      loader.load_config(top, SchemaKind::QuantizeConfig);
    } catch (const CompileError& e) {
      return e.diagnostics().front().rule_id;
    }
    return std::string("no error");
  };
  t.write("plain.yaml", "num_bits: 8\n");
  t.write("attr.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerAttributeConfig\n"
          "num_bits: 8\n");
  CHECK(rule_of(t.write("a.yaml", "imports: {x: nope}\nquant_cfg: []\n")) == "import-not-found");
  CHECK(rule_of(t.write("b.yaml", "imports: {x: plain}\nquant_cfg: []\n")) == "import-no-schema");
  CHECK(rule_of(t.write("c.yaml", "quant_cfg:\n  - $import: x\n")) == "import-undeclared");
  CHECK(rule_of(t.write("d.yaml", "imports: {x: attr}\nquant_cfg:\n  - $import: x\n")) ==
        "import-schema-mismatch");
  CHECK(rule_of(t.write("e.yaml", "imports: [x]\nquant_cfg: []\n")) == "import-section");
  CHECK(rule_of(t.write("f.yaml", "imports: {x: attr}\nquant_cfg:\n  - {$import: y}\n")) ==
        "import-unknown");
}
