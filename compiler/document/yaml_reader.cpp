// read_yaml_documents: yaml-cpp's event parser for the syntax, then qcfg's own composer and
// constructor for everything PyYAML decides differently (typing, merges, keys, documents).
#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <utility>

#include "compiler/diagnostic.h"
#include "compiler/document/reader.h"
#include "compiler/document/text_check.h"
#include "compiler/document/yaml_compose.h"
#include "compiler/document/yaml_construct.h"
#include "compiler/document/yaml_long_runs.h"

namespace qcfg {

namespace {

// PyYAML's Reader refuses these code points anywhere in the stream, comments included.
bool is_yaml_printable(int32_t cp) {
  return cp == 0x09 || cp == 0x0A || cp == 0x0D || (cp >= 0x20 && cp <= 0x7E) || cp == 0x85 ||
         (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

void check_printable(const SourceFile& file) {
  size_t pos = 0;
  while (pos < file.text.size()) {
    const size_t start = pos;
    const int32_t cp = document::decode_utf8(file.text, &pos);
    if (!is_yaml_printable(cp)) {
      throw CompileError(document::location_at(file, start),
                         fmt::format("unacceptable character #x{:04x}: special characters are not "
                                     "allowed in YAML; remove it or write it as an escape in a "
                                     "double-quoted string",
                                     cp),
                         "yaml-encoding");
    }
  }
}

// yaml-cpp's messages are terse; say what to change for the ones people actually hit.
std::string explain_syntax_error(const std::string& msg) {
  static const std::pair<const char*, const char*> kHints[] = {
      {YAML::ErrorMsg::MAP_VALUE, "check the indentation, or quote a value that contains ': '"},
      {YAML::ErrorMsg::END_OF_MAP, "check the indentation of this block"},
      {YAML::ErrorMsg::END_OF_SEQ, "check the indentation of this list"},
      {YAML::ErrorMsg::END_OF_MAP_FLOW, "a '{' is never closed with '}'"},
      {YAML::ErrorMsg::END_OF_SEQ_FLOW, "a '[' is never closed with ']'"},
      {YAML::ErrorMsg::EOF_IN_SCALAR, "close the quoted string"},
      {YAML::ErrorMsg::BLOCK_ENTRY, "a '- ' list item is not allowed here; check the indentation"},
      {YAML::ErrorMsg::UNKNOWN_TOKEN, "quote the value if it starts with a special character"},
  };
  for (const auto& [text, hint] : kHints) {
    if (msg == text) return fmt::format("YAML syntax error: {}: {}", msg, hint);
  }
  return "YAML syntax error: " + msg;
}

}  // namespace

std::vector<Value> read_yaml_documents(const SourceFile& file, const ReadLimits& limits,
                                       std::vector<DuplicateKey>* duplicates) {
  document::check_size_and_utf8(file, limits.max_bytes, "yaml");
  check_printable(file);
  const document::LongRuns runs(file.text);
  std::istringstream in(std::string(runs.shortened()));
  document::YamlComposer composer(file, limits, runs);
  std::vector<Value> documents;
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(composer)) {
      std::shared_ptr<const document::YamlNode> root = composer.take_root();
      documents.push_back(root ? document::construct_document(*root, duplicates) : Value::null());
    }
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's mark is where its scanner stopped, for a flow collection past the last line;
    // the innermost collection the composer still has open is inside the file and at fault.
    const SourceLocation open = composer.innermost_open();
    throw CompileError(open.known() ? open : composer.location(e.mark), "YAML nesting is too deep",
                       "yaml-limit");
  } catch (const YAML::Exception& e) {
    if (e.msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
      throw CompileError(composer.location(e.mark),
                         "alias refers to no anchor defined before it in this document",
                         "yaml-alias");
    }
    throw CompileError(composer.location(e.mark), explain_syntax_error(e.msg), "yaml-syntax");
  }
  return documents;
}

}  // namespace qcfg
