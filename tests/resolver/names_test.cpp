#include "resolver/names.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

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

// The shape is copied 8 bytes at a time: every byte value at every offset of words and tails,
// and digit runs across word boundaries, against the byte-by-byte definition.
TEST_CASE("name shapes: every byte at every position as byte by byte") {
  const auto reference = [](const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
      if (s[i] >= '0' && s[i] <= '9') {
        out += '#';
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
      } else {
        out += s[i++];
      }
    }
    return out;
  };
  size_t checked = 0;
  for (size_t len : {1u, 7u, 8u, 9u, 16u, 21u}) {
    for (size_t at = 0; at < len; ++at) {
      for (int b = 0; b < 256; ++b) {
        std::string s(len, 'x');
        s[at] = static_cast<char>(b);
        if (b % 5 == 0)
          s.replace(at, std::min<size_t>(len - at, 11), std::string(11, '7'), 0,
                    std::min<size_t>(len - at, 11));  // a run over a boundary
        std::string got = "pre.";
        qcfg::resolver::append_name_shape(got, s);
        if (got != "pre." + reference(s)) FAIL_CHECK("byte " << b << " at " << at << ": " << got);
        ++checked;
      }
    }
  }
  CHECK(checked == 62 * 256);
}
