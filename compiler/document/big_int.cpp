#include "compiler/document/big_int.h"

#include <fmt/format.h>

#include <cctype>

namespace qcfg::document {

void BigNat::multiply_add(uint32_t factor, uint32_t addend) {
  uint64_t carry = addend;
  for (uint32_t& limb : limbs_) {
    const uint64_t product = static_cast<uint64_t>(limb) * factor + carry;
    limb = static_cast<uint32_t>(product % kBase);
    carry = product / kBase;
  }
  while (carry != 0) {
    limbs_.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
}

void BigNat::add(const BigNat& other) {
  if (limbs_.size() < other.limbs_.size()) limbs_.resize(other.limbs_.size(), 0);
  uint32_t carry = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    const uint32_t rhs = i < other.limbs_.size() ? other.limbs_[i] : 0;
    const uint64_t sum = static_cast<uint64_t>(limbs_[i]) + rhs + carry;
    limbs_[i] = static_cast<uint32_t>(sum % kBase);
    carry = static_cast<uint32_t>(sum / kBase);
  }
  if (carry != 0) limbs_.push_back(carry);
}

std::string BigNat::decimal() const {
  size_t top = limbs_.size();
  while (top > 0 && limbs_[top - 1] == 0) --top;
  if (top == 0) return "0";
  std::string out = std::to_string(limbs_[top - 1]);
  for (size_t i = top - 1; i-- > 0;) out += fmt::format("{:09d}", limbs_[i]);
  return out;
}

size_t BigNat::approx_decimal_digits() const { return limbs_.size() * 9; }

namespace {

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return 99;
}

std::string_view strip_ascii_space(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

// Python accepts the prefix of the base it is asked for: int('0x1f', 16), int('0o17', 8).
std::string_view strip_base_prefix(std::string_view text, int base) {
  if (text.size() < 2 || text[0] != '0') return text;
  const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(text[1])));
  if ((base == 2 && p == 'b') || (base == 8 && p == 'o') || (base == 16 && p == 'x')) {
    return text.substr(2);
  }
  return text;
}

bool too_many_decimal_digits(std::string_view digits, int base) {
  while (!digits.empty() && digits[0] == '0') digits.remove_prefix(1);
  const double log10_base = base == 2 ? 0.30103 : base == 8 ? 0.90309 : 1.20412;
  return static_cast<double>(digits.size()) * log10_base > kPythonMaxIntDigits;
}

}  // namespace

std::optional<ParsedInt> python_int(std::string_view text, int base, std::string* error) {
  const std::string original(text);
  text = strip_ascii_space(text);
  ParsedInt result;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    result.negative = text[0] == '-';
    text.remove_prefix(1);
  }
  text = strip_base_prefix(text, base);
  if (text.empty()) {
    *error = fmt::format("invalid literal for int() with base {}: '{}'", base, original);
    return std::nullopt;
  }
  if (base == 10 && text.size() > kPythonMaxIntDigits) {
    *error = fmt::format(
        "Exceeds the limit ({} digits) for integer string conversion: value has {} digits",
        kPythonMaxIntDigits, text.size());
    return std::nullopt;
  }
  if (base != 10 && too_many_decimal_digits(text, base)) {
    // Python would build it but could never print it; refusing keeps the conversion cheap.
    *error = fmt::format("integer has more than {} decimal digits", kPythonMaxIntDigits);
    return std::nullopt;
  }
  for (char c : text) {
    const int d = digit_value(c);
    if (d >= base) {
      *error = fmt::format("invalid literal for int() with base {}: '{}'", base, original);
      return std::nullopt;
    }
    result.magnitude.multiply_add(static_cast<uint32_t>(base), static_cast<uint32_t>(d));
  }
  return result;
}

Value make_integer_from_decimal(bool negative, std::string_view digits, SourceLocation loc) {
  while (digits.size() > 1 && digits[0] == '0') digits.remove_prefix(1);
  if (digits.empty() || digits == "0") return Value::integer(0, loc);
  // int64 holds every 18-digit number; compare 19-digit ones with the bound as text.
  const std::string_view bound = negative ? "9223372036854775808" : "9223372036854775807";
  const bool fits = digits.size() < 19 || (digits.size() == 19 && digits <= bound);
  if (!fits) {
    std::string text(negative ? "-" : "");
    text.append(digits);
    return Value::big_integer(std::move(text), loc);
  }
  uint64_t magnitude = 0;
  for (char c : digits) magnitude = magnitude * 10 + static_cast<uint64_t>(c - '0');
  const int64_t value =
      negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return Value::integer(value, loc);
}

Value make_integer(bool negative, const BigNat& magnitude, SourceLocation loc) {
  return make_integer_from_decimal(negative, magnitude.decimal(), loc);
}

}  // namespace qcfg::document
