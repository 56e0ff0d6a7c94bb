#include "compiler/document/yaml_compose.h"

#include <fmt/format.h>

#include <algorithm>

#include "compiler/diagnostic.h"

namespace qcfg::document {

namespace {

size_t saturating_add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

bool starts_marker(std::string_view line, std::string_view marker) {
  if (line.substr(0, marker.size()) != marker) return false;
  return line.size() == marker.size() || line[marker.size()] == ' ' ||
         line[marker.size()] == '\t' || line[marker.size()] == '\r';
}

}  // namespace

std::shared_ptr<const YamlNode> YamlComposer::take_root() {
  std::shared_ptr<const YamlNode> root = std::move(root_);
  root_.reset();
  return root;
}

SourceLocation YamlComposer::location(const YAML::Mark& mark) const {
  if (mark.is_null()) return SourceLocation{&file_, 0, 0};
  const uint32_t line = static_cast<uint32_t>(mark.line);
  return SourceLocation{&file_, line + 1,
                        runs_.column(line, static_cast<uint32_t>(mark.column)) + 1};
}

// yaml-cpp is more lenient than PyYAML about `...`: PyYAML refuses it before any document, and
// after it requires an explicit `---` for the next document.
void YamlComposer::check_document_marker(const YAML::Mark& mark) const {
  if (mark.is_null()) return;
  std::string_view line = file_.line_text(static_cast<uint32_t>(mark.line + 1));
  line = line.substr(std::min(line.size(), static_cast<size_t>(location(mark).column - 1)));
  if (document_index_ == 0 && starts_marker(line, "...")) {
    throw CompileError(location(mark),
                       "'...' ends a document that never started: remove it, or put '---' "
                       "before it for an empty document",
                       "yaml-syntax");
  }
  if (document_index_ > 0 && !starts_marker(line, "---") && line.substr(0, 1) != "%") {
    throw CompileError(location(mark),
                       "a new document must start with '---': add it on the line before, or fix "
                       "the indentation if this line belongs to the document above",
                       "yaml-syntax");
  }
}

void YamlComposer::OnDocumentStart(const YAML::Mark& mark) {
  check_document_marker(mark);
  ++document_index_;
  root_.reset();
  open_.clear();
  anchors_.clear();
  anchor_names_.clear();
  composed_nodes_ = 0;
}

void YamlComposer::OnAnchor(const YAML::Mark& mark, const std::string& anchor_name) {
  const auto [it, inserted] = anchor_names_.emplace(runs_.restore(anchor_name), location(mark));
  if (!inserted) {
    throw CompileError(location(mark),
                       fmt::format("anchor '&{}' is already defined at line {}: rename one of them",
                                   it->first, it->second.line),
                       "yaml-alias");
  }
}

std::shared_ptr<YamlNode> YamlComposer::new_node(YamlNode::Type type, const YAML::Mark& mark,
                                                 YAML::anchor_t anchor) {
  if (++composed_nodes_ > limits_.max_nodes) {
    throw CompileError(location(mark),
                       fmt::format("document has more than {} values", limits_.max_nodes),
                       "yaml-limit");
  }
  auto node = std::make_shared<YamlNode>();
  node->type = type;
  node->loc = location(mark);
  if (anchor != YAML::NullAnchor) anchors_[anchor] = node;
  return node;
}

void YamlComposer::check_expanded_limits(const YamlNode& node, SourceLocation where) const {
  if (node.expanded_depth > limits_.max_depth) {
    throw CompileError(
        where, fmt::format("nesting deeper than {} levels (aliases included)", limits_.max_depth),
        "yaml-limit");
  }
  if (node.expanded_nodes > limits_.max_nodes) {
    throw CompileError(
        where, fmt::format("aliases expand the document to more than {} values", limits_.max_nodes),
        "yaml-limit");
  }
}

void YamlComposer::attach(std::shared_ptr<const YamlNode> node) {
  if (open_.empty()) {
    root_ = std::move(node);
    return;
  }
  YamlNode& parent = *open_.back();
  parent.expanded_nodes = saturating_add(parent.expanded_nodes, node->expanded_nodes);
  parent.expanded_depth = std::max(parent.expanded_depth, node->expanded_depth + 1);
  // Located at the child that pushed the total over: usually the alias to blame.
  check_expanded_limits(parent, node->loc);
  parent.children.push_back(std::move(node));
}

void YamlComposer::OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) {
  std::shared_ptr<YamlNode> node = new_node(YamlNode::Type::Scalar, mark, anchor);
  node->resolved_null = true;
  node->tag = "?";
  attach(std::move(node));
}

void YamlComposer::OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                            const std::string& value) {
  std::shared_ptr<YamlNode> node = new_node(YamlNode::Type::Scalar, mark, anchor);
  node->tag = runs_.restore(tag);
  node->text = runs_.restore(value);
  attach(std::move(node));
}

void YamlComposer::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
  const auto it = anchors_.find(anchor);
  if (it == anchors_.end()) {
    throw CompileError(location(mark),
                       "alias refers to no anchor defined before it in this document",
                       "yaml-alias");
  }
  const bool still_open =
      std::any_of(open_.begin(), open_.end(), [&](const auto& open) { return open == it->second; });
  if (still_open) {
    throw CompileError(location(mark),
                       fmt::format("alias refers to the node that contains it (anchored at line "
                                   "{}): a cyclic structure cannot be a config",
                                   it->second->loc.line),
                       "yaml-alias");
  }
  std::shared_ptr<YamlNode> node = new_node(YamlNode::Type::Alias, mark, YAML::NullAnchor);
  node->target = it->second;
  node->expanded_nodes = it->second->expanded_nodes;
  node->expanded_depth = it->second->expanded_depth;
  attach(std::move(node));
}

SourceLocation YamlComposer::innermost_open() const {
  return open_.empty() ? SourceLocation{&file_, 0, 0} : open_.back()->loc;
}

void YamlComposer::open_collection(std::shared_ptr<YamlNode> node) {
  if (open_.size() + 1 > limits_.max_depth) {
    throw CompileError(node->loc, fmt::format("nesting deeper than {} levels", limits_.max_depth),
                       "yaml-limit");
  }
  node->expanded_depth = 1;
  open_.push_back(std::move(node));
}

void YamlComposer::close_collection() {
  std::shared_ptr<YamlNode> node = std::move(open_.back());
  open_.pop_back();
  attach(std::move(node));
}

void YamlComposer::OnSequenceStart(const YAML::Mark& mark, const std::string& tag,
                                   YAML::anchor_t anchor, YAML::EmitterStyle::value) {
  std::shared_ptr<YamlNode> node = new_node(YamlNode::Type::Sequence, mark, anchor);
  node->tag = runs_.restore(tag);
  open_collection(std::move(node));
}

void YamlComposer::OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                              YAML::EmitterStyle::value) {
  std::shared_ptr<YamlNode> node = new_node(YamlNode::Type::Mapping, mark, anchor);
  node->tag = runs_.restore(tag);
  open_collection(std::move(node));
}

}  // namespace qcfg::document
