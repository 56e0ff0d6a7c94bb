#include "resolver/names.h"

#include <doctest/doctest.h>

namespace {

struct Case {
  const char* name;
  const char* normalized;
};

// Generated with CPython 3.11 and ModelOpt's regex.
const Case kCases[] = {
#include "tests/resolver/normalize_cases.inc"
};

}  // namespace

TEST_CASE("fused-experts name normalization matches ModelOpt's regex") {
  for (const Case& c : kCases) {
    CAPTURE(c.name);
    CHECK(qcfg::resolver::normalize_fused_experts_name(c.name) == c.normalized);
  }
}

TEST_CASE("name shapes abstract digit runs") {
  using qcfg::resolver::name_shape;
  CHECK(name_shape("model.layers.17.mlp.experts.203.up_proj") ==
        "model.layers.#.mlp.experts.#.up_proj");
  CHECK(name_shape("fc12.x") == "fc#.x");
  CHECK(name_shape("abc") == "abc");
}
