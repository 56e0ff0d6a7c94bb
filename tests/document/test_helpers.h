// Helpers for the document reader tests: read text as a file and inspect the result.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/document/reader.h"

namespace qcfg::test {

// Keeps the SourceFile alive for as long as the values that point at it.
// (on the heap, so that moving a Doc keeps the values' file pointers valid).
struct Doc {
  std::unique_ptr<SourceFile> file;
  std::vector<Value> docs;
};

inline Doc yaml(std::string text, const ReadLimits& limits = {}) {
  Doc d{std::make_unique<SourceFile>(SourceFile{"t.yaml", "t.yaml", std::move(text)}), {}};
  d.docs = read_yaml_documents(*d.file, limits);
  return d;
}

// The single document of `text`.
inline Value yaml_one(const std::string& text) {
  SourceFile file{"t.yaml", "t.yaml", text};
  std::vector<Value> docs = read_yaml_documents(file);
  REQUIRE(docs.size() == 1);
  Value v = docs[0];
  return v;
}

// The value of key `a` in `a: <scalar>`.
inline Value scalar(const std::string& text) {
  Value doc = yaml_one("a: " + text);
  REQUIRE(doc.is_map());
  REQUIRE(doc.find("a") != nullptr);
  return *doc.find("a");
}

// The diagnostic a failing read produces; fails the test when the read succeeds.
inline Diagnostic yaml_error(std::string text, const ReadLimits& limits = {}) {
  SourceFile file{"t.yaml", "t.yaml", std::move(text)};
  try {
    read_yaml_documents(file, limits);
  } catch (const CompileError& e) {
    Diagnostic d = e.diagnostics().at(0);
    d.loc.file = nullptr;  // the SourceFile dies here
    return d;
  }
  FAIL("expected a CompileError");
  return {};
}

inline Diagnostic json_error(std::string text, const ReadLimits& limits = {}) {
  SourceFile file{"t.json", "t.json", std::move(text)};
  try {
    read_json(file, limits);
  } catch (const CompileError& e) {
    Diagnostic d = e.diagnostics().at(0);
    d.loc.file = nullptr;
    return d;
  }
  FAIL("expected a CompileError");
  return {};
}

}  // namespace qcfg::test
