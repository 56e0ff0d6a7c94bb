// Fuzz target: the runtime's plan reader (runtime/plan_reader.h), which reads `qcfg compile`
// output that may have been edited or corrupted before `qcfg apply` sees it. Problems must come
// back as located diagnostics.
#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/plan_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcfg::SourceManager sources;
  const qcfg::SourceFile* file =
      sources.add("plan.json", "plan.json", std::string(reinterpret_cast<const char*>(data), size));
  qcfg::Diagnostics diags;
  const qcfg::runtime::Plan plan = qcfg::runtime::read_plan(*file, diags);
  for (const qcfg::Diagnostic& d : diags.items()) (void)qcfg::render_text(d);
  if (!diags.has_errors()) {
    for (const qcfg::runtime::PlanQuantizer& q : plan.quantizers) (void)q.any_enabled();
  }
  return 0;
}
