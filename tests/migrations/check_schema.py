#!/usr/bin/env python3
"""Checks qcfg's JSON Schemas with python3-jsonschema (Draft 7), as an editor would apply them.

usage: check_schema.py SCHEMA_DIR SHARED_DIR

* every schema is a valid draft-07 schema;
* every file of ModelOpt's recipe tree (143 files, all accepted by ModelOpt) and of the 0.47
  subtree in tests/modelopt/recipes/ validates against qcfg-recipe.schema.json, document by
  document (general/distillation/ included: DMDConfig);
* what ModelOpt 0.47 rejects among tests/modelopt/recipe_sections/cases/ for an unknown key, a
  wrong type, a value out of a set or a range is rejected by qcfg-recipe.schema.json;
* the legacy and list quant_cfg conformance cases validate against quant-cfg.schema.json;
* a set of invalid inputs is rejected by the schema that applies to them;
* the files of schema_cases/ (which schema_test.cpp also runs through `qcfg check`): rejected/
  and lint_only/ are rejected by qcfg-recipe.schema.json, accepted/ is accepted.
Data goes through JSON as an editor sees it: integer mapping keys become strings.
Exit status 0 when every check holds, 1 otherwise.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

SCHEMAS = {
    "recipe": "qcfg-recipe.schema.json",
    "quant_cfg": "quant-cfg.schema.json",
    "quantize_config": "quantize-config.schema.json",
    "entry": "quantizer-entry.schema.json",
    "attributes": "quantizer-attributes.schema.json",
}

# quant_cfg conformance cases ModelOpt accepts, in the list form or a legacy form (the file is
# the quant_cfg value, or a mapping whose quant_cfg key holds it).
QUANT_CFG_CASES = [
    "n001_legacy_flat_dict.yaml", "n003_legacy_default_key_last.yaml",
    "n005_legacy_list_single_key.yaml", "n007_legacy_enable_true_only.yaml",
    "n009_legacy_empty_mapping_value.yaml", "n011_legacy_sequential_value.yaml",
    "n013_nn_scoped_single.yaml", "n015_nn_scoped_mixed_flat_dict.yaml", "n023_new_basic.yaml",
    "n029_enable_only_entries.yaml", "n105_json_legacy_config.json",
]

INVALID = [
    ("recipe", "metadata: {recipe_type: ptq}\nquantise: {quant_cfg: []}\n"),
    ("recipe", "metadata: {recipe_type: ptq}\n"),
    ("recipe", "metadata: {recipe_type: qat}\nquantize: {}\n"),
    ("recipe", "metadata: {recipe_type: ptq}\nptq_cfg: {quant_cfg: []}\n"),
    ("quant_cfg", "- {quantizer_name: '*', cfg: {num_bit: 8}}\n"),
    ("quant_cfg", "- {quantizer_path: '*', enable: false}\n"),
    ("quant_cfg", "- {quantizer_name: '*', cfg: {type: dynamc}}\n"),
    ("quant_cfg", "- {'*a*': {num_bits: 8}, '*b*': {num_bits: 4}}\n"),
    ("quant_cfg", "'*weight_quantizer': 8\n"),
    ("quantize_config", "quant_cfg: []\nalgo: max\n"),
    ("entry", "{quantizer_name: 5, enable: false}\n"),
    ("entry", "{enable: false}\n"),
    ("attributes", "{trt_high_precision_dtype: Double}\n"),
    ("attributes", "{rotate: {mode: rotate_forward}}\n"),
    ("attributes", "{learn_amax: true}\n"),
    ("attributes", "{block_sizes: {-1: 16, typ: dynamic}}\n"),
]


def as_editor_sees(value):
    return json.loads(json.dumps(value, default=str))


def documents(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return [json.loads(text)]
    return [d for d in yaml.safe_load_all(text) if d is not None]


def errors_of(validator, value):
    return sorted(validator.iter_errors(as_editor_sees(value)), key=lambda e: list(e.path))


# pydantic error types of ModelOpt's decisions that a JSON Schema can express (the rest are
# model validators across fields, or coercions the schema refuses on purpose).
SCHEMA_EXPRESSIBLE = {"extra_forbidden", "literal_error", "less_than_equal", "greater_than",
                      "greater_than_equal", "dict_type", "list_type", "model_type", "string_type",
                      "int_parsing", "int_from_float", "bool_parsing", "float_parsing",
                      "float_type", "missing"}


def check_section_cases(validator, modelopt_dir):
    """Cases ModelOpt 0.47 rejects only for schema-expressible errors: the schema rejects them."""
    golden = json.loads((modelopt_dir / "recipe_sections" / "golden.json").read_text())
    failures = checked = 0
    for rel, result in golden["cases"].items():
        errors = result.get("errors")
        if result["ok"] or not errors or any(e["type"] not in SCHEMA_EXPRESSIBLE for e in errors):
            continue
        path = modelopt_dir.parent.parent / rel
        checked += 1
        if not any(errors_of(validator, doc) for doc in documents(path)):
            failures += 1
            print(f"{rel}: accepted by the schema, rejected by ModelOpt 0.47")
    print(f"{checked} cases ModelOpt 0.47 rejects checked")
    return failures


def main(schema_dir, shared_dir):
    failures = 0
    validators = {}
    for kind, name in SCHEMAS.items():
        schema = json.loads((schema_dir / name).read_text(encoding="utf-8"))
        jsonschema.Draft7Validator.check_schema(schema)
        validators[kind] = jsonschema.Draft7Validator(schema)

    here = pathlib.Path(__file__).resolve().parent
    trees = [("recipe tree", shared_dir / "conformance" / "modelopt_recipes"),
             ("0.47 recipe tree", here.parent / "modelopt" / "recipes")]
    for label, recipes in trees:
        checked = 0
        for path in sorted(recipes.rglob("*.y*ml")):
            rel = path.relative_to(recipes).as_posix()
            for doc in documents(path):
                for err in errors_of(validators["recipe"], doc):
                    failures += 1
                    print(f"{rel}: rejected at /{'/'.join(map(str, err.path))}: "
                          f"{err.message[:200]}")
            checked += 1
        print(f"{label}: {checked} files validated")
    failures += check_section_cases(validators["recipe"], here.parent / "modelopt")

    cases = shared_dir / "conformance" / "cases" / "normalize"
    for name in QUANT_CFG_CASES:
        for doc in documents(cases / name):
            value = doc["quant_cfg"] if isinstance(doc, dict) and "quant_cfg" in doc else doc
            for err in errors_of(validators["quant_cfg"], value):
                failures += 1
                print(f"{name}: rejected: {err.message[:200]}")

    for kind, text in INVALID:
        if not list(validators[kind].iter_errors(as_editor_sees(yaml.safe_load(text)))):
            failures += 1
            print(f"accepted as {kind} although invalid: {text!r}")
    print(f"{len(INVALID)} invalid inputs checked")

    cases = pathlib.Path(__file__).parent / "schema_cases"
    for path in sorted(cases.glob("*/*")):
        expect_valid = path.parent.name == "accepted"
        errors = [e for doc in documents(path) for e in errors_of(validators["recipe"], doc)]
        if expect_valid and errors:
            failures += 1
            print(f"schema_cases/{path.parent.name}/{path.name}: rejected: {errors[0].message[:200]}")
        if not expect_valid and not errors:
            failures += 1
            print(f"schema_cases/{path.parent.name}/{path.name}: accepted although invalid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
