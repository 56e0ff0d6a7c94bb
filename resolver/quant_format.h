// What number format one quantizer stage has, read from its attributes (QuantizerAttributeConfig
// fields, shared/spec/numerics.md §0): the format kind, its element, how scales are laid out
// (axis, blocks) and whether it rotates. Torch- and numerics-free, so the runtime (which adds the
// numerics and the runtime-only checks, runtime/quant_format.h) and lint (which reasons about
// the checkpoint an export would write) classify a format the same way.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "compiler/source.h"
#include "compiler/value.h"
#include "schema/quantizer_attributes.h"

namespace qcfg::resolver {

// An attribute mapping that is no format qcfg knows; located at the attribute.
class FormatError : public std::runtime_error {
 public:
  FormatError(SourceLocation loc, const std::string& message)
      : std::runtime_error(message), loc_(loc) {}
  const SourceLocation& loc() const { return loc_; }

 private:
  SourceLocation loc_;
};

enum class FormatKind {
  integer,        // INT2..INT8, per tensor / channel / static block (§2)
  fp8,            // E4M3, per tensor / channel / static block (§3)
  nvfp4_dynamic,  // E2M1, dynamic blocks, E4M3 block scales (§4.2)
  nvfp4_static,   // E2M1, static blocks promoted to two-level scales (§5.2)
  mx,             // MX formats: E8M0 shared exponent, dynamic blocks (§4.1)
};

struct RotateSpec {
  bool rotate_back = false;      // mode: rotate_back (else rotate)
  std::optional<int64_t> block;  // block_size
  bool fp32 = false;             // rotate_fp32
};

struct FormatSpec {
  FormatKind kind = FormatKind::integer;
  int int_bits = 8;  // integer formats
  bool is_unsigned = false;
  bool narrow_range = false;
  std::pair<int, int> element{0, 0};  // (E, M) of a float or MX element; MXINT8 keeps {0, 0}
  bool mx_int8 = false;
  std::optional<int> axis;            // per channel: the kept dim
  std::map<int, int64_t> blocks;      // static or dynamic block sizes by dim (negative: from end)
  std::optional<int> per_token_kept;  // `{-1: None}` style: the one dim not listed (kept)
  bool four_over_six = false;
  std::optional<RotateSpec> rotation;
  SourceLocation loc;              // the attribute mapping
  QuantizerAttributes attributes;  // the mapping's typed reading, which the above classifies

  // Block size along the last dim (0: none).
  int64_t last_dim_block() const;
  // resolver::format_label of the attributes ("NVFP4", "FP8 per-tensor", "INT4 block 128", ...)
  std::string label() const;
};

// The (E, M) elements an MX format has (shared/spec/numerics.md §4.1).
bool is_mx_element(std::pair<int, int> element);

// Throws FormatError, located at the attribute, for what is no known format (integer dynamic
// blocks, num_bits without a format, NF4 scale blocks, axis lists, ...).
FormatSpec parse_format_spec(const Value& attributes);

// For readers of attribute mappings (here and runtime/quant_format.cpp): `attrs[key]`, or null
// when the key is absent; a FormatError located at `at`.
const Value& attribute_field(const Value& attrs, std::string_view key);
[[noreturn]] void reject_attribute(const Value& at, const std::string& message);

}  // namespace qcfg::resolver
