#include "lint/output_formats.h"

#include "lint/emit.h"

namespace qcfg::lint {
namespace {

std::string text(const std::vector<FileResult>& files, const std::vector<const Rule*>&,
                 const std::string&) {
  return render_text_report(files);
}

std::string json(const std::vector<FileResult>& files, const std::vector<const Rule*>&,
                 const std::string&) {
  return render_json_report(files);
}

}  // namespace

const std::vector<OutputFormat>& output_formats() {
  static const std::vector<OutputFormat> formats = {
      {.name = "text", .render = text},
      {.name = "json", .render = json},
      {.name = "sarif", .render = render_sarif_report},
  };
  return formats;
}

std::vector<std::string> output_format_names() {
  std::vector<std::string> names;
  for (const OutputFormat& f : output_formats()) names.emplace_back(f.name);
  return names;
}

const OutputFormat* find_output_format(std::string_view name) {
  for (const OutputFormat& f : output_formats())
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace qcfg::lint
