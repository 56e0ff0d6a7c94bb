// Fuzz target: the YAML/JSON front end with the recipe loader, imports and normalizer, through
// driver::load_file (read -> imports -> normalize -> validate), in the three read modes, with
// imported files served from memory (memory_files.h describes the input layout).
#include <cstddef>
#include <cstdint>
#include <string>

#include "compiler/json_writer.h"
#include "driver/pipeline.h"
#include "fuzz/memory_files.h"

namespace {

using namespace qcfg;

// Smaller than the defaults so one input stays fast; nesting keeps the default, since the stack
// depth it allows is what we want ASan to watch.
LoadOptions fuzz_options(ReadMode mode) {
  LoadOptions o;
  o.mode = mode;
  o.recipe_root = fuzz::kRecipeRoot;
  o.cwd = fuzz::kCwd;
  o.limits.max_nodes = 20'000;
  o.limits.max_bytes = 1 << 20;
  return o;
}

void load_and_render(const fuzz::MemoryFiles& files, const std::string& path, ReadMode mode) {
  SourceManager sources(files);
  Diagnostics diags;
  std::optional<LoadedFile> loaded = load_file(path, fuzz_options(mode), sources, diags);
  for (const Diagnostic& d : diags.items()) (void)render_text(d);
  if (loaded) (void)to_json(render_loaded_file(*loaded));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  fuzz::MemoryFiles files;
  fuzz::unpack_bundle(input, files);
  load_and_render(files, fuzz::kTopFile, ReadMode::Config);
  load_and_render(files, fuzz::kTopFile, ReadMode::RecipeTree);
  load_and_render(files, fuzz::kTopFile, ReadMode::Auto);
  // The same text as JSON (json.loads semantics, no imports).
  const std::string json_path = std::string(fuzz::kCwd) + "/top.json";
  files.add(json_path, std::string(input.substr(0, input.find('\0'))));
  load_and_render(files, json_path, ReadMode::Config);
  return 0;
}
