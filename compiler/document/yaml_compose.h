// Stage one of the YAML reader: yaml-cpp events -> a node graph per document (PyYAML's
// "compose" step). Aliases stay shared references here; the constructor expands them. Limits on
// depth and on the size after alias expansion are enforced as each node closes, so a "billion
// laughs" document fails before anything is expanded.
#pragma once

#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/mark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "compiler/document/reader.h"
#include "compiler/document/yaml_long_runs.h"
#include "compiler/source.h"

namespace qcfg::document {

struct YamlNode {
  enum class Type : uint8_t { Scalar, Sequence, Mapping, Alias };

  Type type = Type::Scalar;
  bool resolved_null = false;  // yaml-cpp already resolved a plain ~/null/empty (OnNull)
  std::string tag;             // "?" plain/untagged, "!" quoted or non-specific, else the tag
  std::string text;            // scalar text
  SourceLocation loc;
  // Sequence items, or mapping keys and values interleaved (key, value, key, value...).
  std::vector<std::shared_ptr<const YamlNode>> children;
  std::shared_ptr<const YamlNode> target;  // what an Alias refers to
  size_t expanded_nodes = 1;               // values once every alias is copied
  size_t expanded_depth = 0;               // collection nesting once aliases are copied

  // The node an alias stands for (itself for any other node).
  const YamlNode& deref() const { return type == Type::Alias ? *target : *this; }
};

// Receives one document's events from yaml_cpp's Parser.
class YamlComposer : public YAML::EventHandler {
 public:
  // `runs`: how the text yaml-cpp reads was shortened from `file`'s (yaml_long_runs.h).
  YamlComposer(const SourceFile& file, const ReadLimits& limits, const LongRuns& runs)
      : file_(file), limits_(limits), runs_(runs) {}

  // The root of the document just handled (null node for an empty one).
  std::shared_ptr<const YamlNode> take_root();
  // Where the innermost collection still open starts (unknown when none is open): the node at
  // fault when the parser gives up on nesting depth.
  SourceLocation innermost_open() const;

  void OnDocumentStart(const YAML::Mark& mark) override;
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override;
  void OnSequenceEnd() override { close_collection(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override;
  void OnMapEnd() override { close_collection(); }
  void OnAnchor(const YAML::Mark& mark, const std::string& anchor_name) override;

  // A yaml-cpp mark (of the shortened text) as a location in the file.
  SourceLocation location(const YAML::Mark& mark) const;

 private:
  std::shared_ptr<YamlNode> new_node(YamlNode::Type type, const YAML::Mark& mark,
                                     YAML::anchor_t anchor);
  void attach(std::shared_ptr<const YamlNode> node);
  void open_collection(std::shared_ptr<YamlNode> node);
  void close_collection();
  void check_expanded_limits(const YamlNode& node, SourceLocation where) const;
  void check_document_marker(const YAML::Mark& mark) const;

  const SourceFile& file_;
  const ReadLimits& limits_;
  const LongRuns& runs_;
  size_t document_index_ = 0;
  size_t composed_nodes_ = 0;
  std::shared_ptr<const YamlNode> root_;
  std::vector<std::shared_ptr<YamlNode>> open_;  // collections not yet closed, outermost first
  std::map<YAML::anchor_t, std::shared_ptr<const YamlNode>> anchors_;
  std::map<std::string, SourceLocation> anchor_names_;  // PyYAML refuses a name reused
};

}  // namespace qcfg::document
