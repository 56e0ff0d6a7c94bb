// What one canonical entry will look like, as pieces of the original text (so scalars, comments
// and nested formatting are carried over verbatim), and how to print it in the file's style:
// block YAML (ModelOpt's recipe layout), flow YAML, or JSON.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "migrations/source_text.h"

namespace qcfg::migrations {

// A byte range of the original text.
struct Slice {
  size_t begin = 0;
  size_t end = 0;
};

enum class CfgForm {
  None,   // no cfg key (enable-only entry)
  Flow,   // one-line-able text: a flow collection or a scalar
  Block,  // whole source lines of a block mapping or sequence
};

struct EntryPlan {
  std::string parent_class;  // text of the `nn.*` key as written; empty: no parent_class
  std::string name;          // text of the quantizer_name value
  std::string enable;        // text of the enable value; empty: no enable key
  CfgForm cfg_form = CfgForm::None;
  // Flow: the pairs of a rebuilt mapping (`key: value` texts) when cfg_rebuilt, else one slice
  // holding the whole value. Block: line regions, concatenated.
  std::vector<Slice> cfg_parts;
  bool cfg_rebuilt = false;
  // Block: indentation of the cfg lines in the source. Flow: column of the legacy key, so the
  // continuation lines of a multi-line flow value move with it.
  size_t cfg_source_indent = 0;
  std::vector<std::string> comments_before;  // own-line comments that preceded the legacy key
  std::string name_comment;                  // comment on the legacy key's line
};

// Block YAML list items, every line fully indented (dash at `dash_col`), joined by '\n'.
std::string render_block_entries(const std::vector<EntryPlan>& entries, const SourceText& src,
                                 size_t dash_col, size_t indent_unit);

// One flow mapping `{quantizer_name: ..., cfg: ...}`; JSON quotes the field names.
std::string render_flow_entry(const EntryPlan& entry, const SourceText& src, bool json);

// `lines` of the original moved so that indentation `from` becomes `to` (relative indentation
// kept; blank lines emptied; lines indented less than `from` land at `to`).
std::string reindent(std::string_view lines, size_t from, size_t to);

}  // namespace qcfg::migrations
