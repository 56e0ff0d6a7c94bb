// `qcfg schema`: the shipped schema/*.schema.json files are exactly its output, the attribute
// table covers the validator's fields, and python3-jsonschema accepts the whole recipe tree and
// rejects invalid inputs with it (tests/migrations/check_schema.py).
#include <doctest/doctest.h>

#include <string>

#include "compiler/json_writer.h"
#include "migrations/json_schema.h"
#include "schema/attribute_config.h"
#include "tests/migrations/helpers.h"
#include "tests/run_command.h"

namespace qcfg::migrations::testing {
namespace {

const fs::path kSource(QCFG_SOURCE_DIR);

using test::Run;

// `command`, stdout and stderr together.
Run run(const std::string& command) { return test::run_command(command + " 2>&1"); }

}  // namespace

TEST_CASE("the schema describes exactly the validator's attributes, with its defaults") {
  std::vector<std::string> validator;
  for (std::string_view n : attribute_field_names()) validator.emplace_back(n);
  CHECK(schema_attribute_names() == validator);
  const Value schema = json_schema(SchemaDocKind::Attributes);
  const Value* props = schema.find("definitions")->find("attributes")->find("properties");
  REQUIRE(props != nullptr);
  const Value defaults = default_attribute_dump();
  for (const MapEntry& field : defaults.entries()) {
    CAPTURE(field.key.as_string());
    const Value* property = props->find(field.key.as_string());
    REQUIRE(property != nullptr);
    CHECK(python_equal(*property->find("default"), field.value));
  }
}

TEST_CASE("shipped schema files equal `qcfg schema --kind K`") {
  for (const SchemaDocInfo& doc : schema_documents()) {
    CAPTURE(doc.name);
    const Run r = run(std::string(QCFG_EXE) + " schema --kind " + std::string(doc.name));
    CHECK(r.status == 0);
    CHECK(r.out == read_text(kSource / "schema" / doc.file_name));
    CHECK(r.out == json_schema_text(doc.kind));
  }
  CHECK(run(std::string(QCFG_EXE) + " schema --kind nope").status == 2);
  CHECK(run(std::string(QCFG_EXE) + " schema extra-arg").status == 2);
}

TEST_CASE("python3-jsonschema: the recipe tree validates, invalid inputs are rejected") {
  const Run r = run("python3 " + (kSource / "tests" / "migrations" / "check_schema.py").string() +
                    " " + (kSource / "schema").string() + " " + QCFG_SHARED_DIR);
  CAPTURE(r.out);
  CHECK(r.status == 0);
  CHECK(r.out.find("recipe tree: 143 files validated") != std::string::npos);
  CHECK(r.out.find("0.47 recipe tree: 117 files validated") != std::string::npos);
  CHECK(r.out.find("44 cases ModelOpt 0.47 rejects checked") != std::string::npos);
}

TEST_CASE("schema_cases: `qcfg check` agrees with the schema on every range it enforces") {
  // The same files check_schema.py validates: rejected/ by both, accepted/ by neither; lint_only/
  // holds values ModelOpt accepts (so check must too) that the schema and `qcfg lint` flag.
  for (const auto& dir : {"rejected", "accepted", "lint_only"}) {
    for (const auto& file :
         fs::directory_iterator(kSource / "tests/migrations/schema_cases" / dir)) {
      CAPTURE(file.path().string());
      const Run r = run(std::string(QCFG_EXE) + " check " + file.path().string());
      CAPTURE(r.out);
      CHECK(r.status == (std::string(dir) == "rejected" ? 1 : 0));
      if (std::string(dir) != "lint_only") continue;
      const Run lint = run(std::string(QCFG_EXE) + " lint " + file.path().string());
      CHECK(lint.out.find("warning:") != std::string::npos);
    }
  }
}

}  // namespace qcfg::migrations::testing
