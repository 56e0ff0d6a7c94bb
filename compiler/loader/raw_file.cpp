// Reading one file as ModelOpt's `_load_raw_config_with_schema` does
// (shared/spec/quant_cfg.md 2.1, 3.1, 3.4, 3.5).
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/input_file.h"
#include "compiler/loader/loader.h"

namespace qcfg::loader {
namespace {

// Python str.splitlines() boundaries that can occur in UTF-8 text.
size_t line_break_length(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c == '\r') return (i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
  if (c == '\n' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1e)) return 1;
  if (c == 0xc2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x85) {
    return 2;
  }
  if (c == 0xe2 && i + 2 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
      (static_cast<unsigned char>(text[i + 2]) == 0xa8 ||
       static_cast<unsigned char>(text[i + 2]) == 0xa9)) {
    return 3;
  }
  return 0;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// `^\s*#\s*modelopt-schema:\s*(\S+)\s*$` on one line; returns the captured value and its column.
bool match_schema_line(std::string_view line, std::string* value, uint32_t* column) {
  size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i >= line.size() || line[i] != '#') return false;
  ++i;
  while (i < line.size() && is_space(line[i])) ++i;
  constexpr std::string_view kTag = "modelopt-schema:";
  if (line.substr(i, kTag.size()) != kTag) return false;
  i += kTag.size();
  while (i < line.size() && is_space(line[i])) ++i;
  const size_t start = i;
  while (i < line.size() && !is_space(line[i])) ++i;
  if (i == start) return false;
  const size_t end = i;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i != line.size()) return false;  // a second token: not a header (silently ignored)
  *value = std::string(line.substr(start, end - start));
  *column = static_cast<uint32_t>(start + 1);
  return true;
}

}  // namespace

SchemaHeader scan_schema_header(std::string_view text) {
  SchemaHeader header;
  size_t pos = 0;
  uint32_t line_no = 0;
  while (pos < text.size()) {
    size_t end = pos, brk = 0;
    while (end < text.size() && (brk = line_break_length(text, end)) == 0) ++end;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + brk;
    ++line_no;
    std::string_view stripped = strip(line);
    if (stripped.empty()) continue;
    if (stripped.front() != '#') break;  // first content line ends the preamble
    std::string value;
    uint32_t column = 0;
    if (!match_schema_line(line, &value, &column)) continue;
    if (!header.value.empty()) {
      header.duplicated = true;
      header.duplicate_line = line_no;
      return header;
    }
    header.value = value;
    header.line = line_no;
    header.column = column;
  }
  return header;
}

namespace {

// `^[Ee](\d+)[Mm](\d+)$`
bool parse_exmy(const std::string& s, Value* out, SourceLocation loc) {
  if (s.size() < 4 || (s[0] != 'e' && s[0] != 'E')) return false;
  size_t i = 1;
  auto digits = [&](std::string* d) {
    const size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    *d = s.substr(start, i - start);
    return i > start;
  };
  std::string e, m;
  if (!digits(&e) || i >= s.size() || (s[i] != 'm' && s[i] != 'M')) return false;
  ++i;
  if (!digits(&m) || i != s.size()) return false;
  auto to_int = [&](const std::string& d) {
    size_t nz = d.find_first_not_of('0');
    std::string trimmed = nz == std::string::npos ? "0" : d.substr(nz);
    if (trimmed.size() > 18) return Value::big_integer(trimmed, loc);
    return Value::integer(std::stoll(trimmed), loc);
  };
  Value t = Value::tuple(loc);
  t.push_back(to_int(e));
  t.push_back(to_int(m));
  *out = std::move(t);
  return true;
}

}  // namespace

void convert_exmy_strings(Value& v) {
  if (v.is_list()) {
    for (Value& item : v.items()) convert_exmy_strings(item);
    return;
  }
  if (!v.is_map()) return;
  for (MapEntry& e : v.entries()) {
    const bool exmy_key =
        e.key.is_string() && (e.key.as_string() == "num_bits" || e.key.as_string() == "scale_bits");
    if (exmy_key && e.value.is_string()) {
      Value converted;
      if (parse_exmy(e.value.as_string(), &converted, e.value.loc())) {
        e.value = std::move(converted);
        continue;
      }
    }
    convert_exmy_strings(e.value);
  }
}

namespace {

bool ends_with_json(const std::string& path) {
  if (path.size() < 5) return false;
  std::string tail = path.substr(path.size() - 5);
  for (char& c : tail) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return tail == ".json";
}

SourceLocation doc_loc(const SourceFile* file, const Value& v) {
  return v.loc().known() ? v.loc() : SourceLocation{file, 1, 1};
}

// ModelOpt's rule for the documents of one stream (shared/spec/quant_cfg.md 2.1).
void apply_documents_rule(RawFile& raw, std::vector<Value> docs) {
  const SourceFile* file = raw.file;
  raw.document_count = docs.size();
  const SourceLocation start{file, 1, 1};
  if (docs.empty() || docs[0].is_null()) {
    raw.data = Value::map(start);
    return;
  }
  if (docs.size() > 2) {
    throw CompileError(doc_loc(file, docs[2]),
                       "expected 1 or 2 YAML documents, got " + std::to_string(docs.size()) +
                           "; put the imports header and the body in at most two documents",
                       "yaml-documents");
  }
  if (docs.size() == 1) {
    if (!docs[0].is_map() && !docs[0].is_list()) {
      throw CompileError(
          doc_loc(file, docs[0]),
          "config file must contain a YAML mapping or list, got " + docs[0].python_type(),
          "yaml-documents");
    }
    raw.data = std::move(docs[0]);
    return;
  }
  Value& header = docs[0];
  Value& body = docs[1];
  if (!header.is_map()) {
    throw CompileError(doc_loc(file, header),
                       "the first YAML document must be a mapping (the imports header), got " +
                           header.python_type(),
                       "yaml-documents");
  }
  if (body.is_null()) {
    raw.data = Value::map(header.loc());
  } else if (body.is_map()) {
    raw.data = std::move(header);
    for (MapEntry& e : body.entries()) raw.data.insert(std::move(e.key), std::move(e.value));
  } else if (body.is_list()) {
    // A list snippet: only the header's `imports` survives (other header keys are dropped).
    raw.list_snippet = true;
    const Value* imports = header.find("imports");
    raw.header_imports = imports ? *imports : Value::null(header.loc());
    raw.data = std::move(body);
  } else {
    throw CompileError(
        doc_loc(file, body),
        "the second YAML document must be a mapping or list, got " + body.python_type(),
        "yaml-documents");
  }
}

}  // namespace

RawFile Loader::load_raw(const std::string& path, SourceLocation requested_at) {
  const SourceFile* file =
      read_input_file(sources_, path, options_.limits.max_bytes, kConfigSizeAdvice, requested_at);
  RawFile raw;
  raw.file = file;
  if (ends_with_json(path)) {
    raw.is_json = true;
    raw.data = read_json(*file, options_.limits, &duplicate_keys_);
    raw.document_count = 1;
    return raw;
  }
  SchemaHeader header = scan_schema_header(file->text);
  if (header.duplicated) {
    throw CompileError(SourceLocation{file, header.duplicate_line, 1},
                       "multiple modelopt-schema comments found; keep exactly one",
                       "schema-header");
  }
  if (!header.value.empty()) {
    raw.declared_schema_text = header.value;
    raw.declared_schema_loc = SourceLocation{file, header.line, header.column};
  }
  apply_documents_rule(raw, read_yaml_documents(*file, options_.limits, &duplicate_keys_));
  convert_exmy_strings(raw.data);
  return raw;
}

}  // namespace qcfg::loader
