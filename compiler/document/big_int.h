// Exact integers of any size for the readers: Python ints have no width, and ModelOpt accepts
// e.g. `num_bits: 99999999999999999999`, so non-decimal YAML integers (hex, octal, binary,
// base 60) are converted to decimal text here instead of going through a 64-bit type.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/value.h"

namespace qcfg::document {

// Python 3.11 refuses to convert decimal text of more digits than this to int (and back).
inline constexpr size_t kPythonMaxIntDigits = 4300;

// A non-negative integer of any size.
class BigNat {
 public:
  void multiply_add(uint32_t factor, uint32_t addend);
  void add(const BigNat& other);
  std::string decimal() const;
  // Number of decimal digits, at most one too many; cheap.
  size_t approx_decimal_digits() const;

 private:
  static constexpr uint32_t kBase = 1'000'000'000;  // nine decimal digits per limb
  std::vector<uint32_t> limbs_;                     // least significant first
};

// A signed integer read by `python_int`.
struct ParsedInt {
  bool negative = false;
  BigNat magnitude;
};

// Python `int(text, base)` for base 2, 8, 10 or 16: surrounding whitespace, one sign, the base's
// own prefix (0b/0o/0x) allowed. No underscores (callers remove them first, as PyYAML does).
// Returns nullopt where Python raises ValueError; `error` says why.
std::optional<ParsedInt> python_int(std::string_view text, int base, std::string* error);

// The Value for an integer: small when it fits int64, else big with exact decimal digits.
Value make_integer(bool negative, const BigNat& magnitude, SourceLocation loc);
Value make_integer_from_decimal(bool negative, std::string_view digits, SourceLocation loc);

}  // namespace qcfg::document
