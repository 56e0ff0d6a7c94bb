// torch.ops.qcfg.run_command: the runtime's commands (`qcfg ptq`, `qcfg apply`) run inside the
// Python process, for qcfg.torch.export_hf_checkpoint. The command line goes through the same
// front as the qcfg-runtime executable (tools/qcfg/cli.h, cmd_apply.cpp, cmd_ptq.cpp linked into
// this library), so the checkpoint written is the same bytes; what differs is where it runs: on
// the process's CUDA context and LibTorch caching allocator instead of a second process with its
// own context and memory pool (docs/python.md, "Export").
//
// The command's stderr (diagnostics, notes, --times) is captured and returned with its exit code,
// as a subprocess's would be: file descriptor 2 points at a temporary file while it runs. One
// command runs at a time.
#include <torch/library.h>
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "tools/qcfg/cli.h"

namespace {

// Points fd 2 (and C's stderr) at a temporary file until text() restores it.
class StderrCapture {
 public:
  StderrCapture() {
    std::fflush(stderr);
    file_ = std::tmpfile();
    if (file_ == nullptr) throw std::runtime_error("cannot create a temporary file for stderr");
    saved_ = ::dup(STDERR_FILENO);
    if (saved_ < 0 || ::dup2(::fileno(file_), STDERR_FILENO) < 0) {
      std::fclose(file_);
      throw std::runtime_error("cannot redirect stderr");
    }
  }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  ~StderrCapture() {
    restore();
    std::fclose(file_);  // a tmpfile() is removed when closed
  }

  std::string text() {
    restore();
    std::string out;
    std::rewind(file_);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, file_)) > 0;) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }

  std::FILE* file_ = nullptr;
  int saved_ = -1;
};

std::tuple<int64_t, std::string> run_command(std::vector<std::string> argv) {
  static std::mutex one_at_a_time;
  const std::lock_guard<std::mutex> lock(one_at_a_time);
  StderrCapture capture;
  int code = qcfg::cli::kExitUsage;
  try {
    code = qcfg::cli::run_command_line(argv);
  } catch (const std::exception& e) {  // run_command_line reports its own; anything else here
    std::fprintf(stderr, "qcfg: internal error: %s\n", e.what());
  }
  return std::make_tuple(static_cast<int64_t>(code), capture.text());
}

}  // namespace

TORCH_LIBRARY_FRAGMENT(qcfg, m) { m.def("run_command(str[] argv) -> (int, str)", &run_command); }
