#include "resolver/fnmatch.h"

#include <doctest/doctest.h>

#include "resolver/names.h"

namespace {

struct Case {
  const char* name;
  const char* pattern;
  bool expected;
};

// Generated with CPython 3.11 `fnmatch.fnmatch(name, pattern)` on Linux.
const Case kCases[] = {
#include "tests/resolver/fnmatch_cases.inc"
};

}  // namespace

using qcfg::resolver::fnmatch;
using qcfg::resolver::GlobPattern;

TEST_CASE("fnmatch agrees with CPython 3.11 on the generated table") {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    CAPTURE(c.pattern);
    CHECK(fnmatch(c.name, c.pattern) == c.expected);
  }
}

TEST_CASE("fnmatch basics") {
  CHECK(fnmatch("model.layers.0.mlp.down_proj.weight_quantizer", "*weight_quantizer"));
  CHECK_FALSE(fnmatch("model.layers.0.mlp.down_proj.weight_quantizer", "weight_quantizer"));
  CHECK_FALSE(fnmatch("a.B", "a.b"));  // case-sensitive
  CHECK(fnmatch("a.b.c", "a*c"));      // `*` crosses dots
  CHECK(fnmatch("[x", "[x"));          // unclosed bracket is literal
  CHECK_FALSE(fnmatch("b", "[z-a]"));  // reversed range matches nothing
  CHECK(fnmatch("a\\b", "a\\b"));      // backslash is ordinary
}

TEST_CASE("digit-blind patterns give the same answer on name shapes") {
  const char* names[] = {"model.layers.17.mlp.experts.203.down_proj.weight_quantizer",
                         "model.layers.3.self_attn.k_bmm_quantizer", "fc1.input_quantizer",
                         "m.experts.gate_up_proj_weight_quantizers.12"};
  const char* patterns[] = {
      "*",    "*weight_quantizer", "*mlp*",      "*experts*down*", "*self_attn*", "model.*",
      "*fc*", "*_quantizers.*",    "*[kv]_bmm*", "*[a-f]*"};
  for (const char* p : patterns) {
    GlobPattern g(p);
    REQUIRE_FALSE(g.distinguishes_digits());
    for (const char* n : names) {
      CAPTURE(p);
      CAPTURE(n);
      CHECK(g.matches(n) == g.matches(qcfg::resolver::name_shape(n)));
    }
  }
  CHECK(GlobPattern("*layers.0*").distinguishes_digits());
  CHECK(GlobPattern("*.?.*").distinguishes_digits());
  CHECK_FALSE(GlobPattern("*[kv]_bmm_quantizer").distinguishes_digits());
  CHECK(GlobPattern("*[0-9]").distinguishes_digits());
  CHECK(GlobPattern("*[!a]").distinguishes_digits());
  CHECK(GlobPattern("*[!-#]").distinguishes_digits());
  CHECK(GlobPattern("*#*").distinguishes_digits());
}

TEST_CASE("long names with many stars stay fast (no backtracking blow-up)") {
  const std::string name(5000, 'a');
  CHECK_FALSE(fnmatch(name, "*a*a*a*a*a*a*a*a*a*a*b"));
  CHECK(fnmatch(name, "*a*a*a*a*a*a*a*a*a*a"));
}
