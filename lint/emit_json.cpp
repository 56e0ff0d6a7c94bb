#include "compiler/json_writer.h"
#include "lint/emit.h"

namespace qcfg::lint {
namespace {

Value fix_value(const Fix& fix) {
  Value v = Value::map();
  v.set("description", Value::string(fix.description));
  Value edits = Value::list();
  for (const TextEdit& e : fix.edits) {
    Value ev = Value::map();
    ev.set("begin", Value::integer(static_cast<int64_t>(e.begin)));
    ev.set("end", Value::integer(static_cast<int64_t>(e.end)));
    ev.set("replacement", Value::string(e.replacement));
    edits.push_back(std::move(ev));
  }
  v.set("edits", std::move(edits));
  return v;
}

Value finding_value(const Finding& f) {
  const Diagnostic& d = f.diag;
  const Rule* rule = find_rule(d.rule_id);
  Value v = Value::map();
  v.set("file", Value::string(d.loc.file ? d.loc.file->path : ""));
  v.set("line", Value::integer(d.loc.line));
  v.set("column", Value::integer(d.loc.column));
  v.set("severity", Value::string(severity_name(d.severity)));
  v.set("rule", Value::string(d.rule_id));
  v.set("name", Value::string(rule ? rule->info().name : ""));
  v.set("message", Value::string(d.message));
  Value notes = Value::list();
  for (const std::string& n : d.notes) notes.push_back(Value::string(n));
  v.set("notes", std::move(notes));
  v.set("fix", f.fix ? fix_value(*f.fix) : Value::null());
  return v;
}

}  // namespace

std::string render_json_report(const std::vector<FileResult>& files) {
  Value findings = Value::list();
  int64_t errors = 0, warnings = 0, infos = 0;
  for (const FileResult& f : files) {
    for (const Finding& finding : f.findings) {
      findings.push_back(finding_value(finding));
      const Severity s = finding.diag.severity;
      (s == Severity::Error ? errors : s == Severity::Warning ? warnings : infos)++;
    }
  }
  Value summary = Value::map();
  summary.set("files", Value::integer(static_cast<int64_t>(files.size())));
  summary.set("errors", Value::integer(errors));
  summary.set("warnings", Value::integer(warnings));
  summary.set("infos", Value::integer(infos));
  Value out = Value::map();
  out.set("findings", std::move(findings));
  out.set("summary", std::move(summary));
  return to_json(out) + "\n";
}

}  // namespace qcfg::lint
