// Text built in memory and written to a stream in chunks of about a mebibyte: the plan writers
// (plan.cpp, plan_v2.cpp) stream plans of hundreds of megabytes without holding them whole.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>

namespace qcfg::resolver {

inline void flush_chunk(std::string& text, std::ostream& sink) {
  sink.write(text.data(), static_cast<std::streamsize>(text.size()));
  text.clear();
}

// After each record: writes out what has gathered once it is a chunk.
inline void flush_chunk_if_full(std::string& text, std::ostream& sink) {
  constexpr size_t kChunkBytes = size_t{1} << 20;
  if (text.size() >= kChunkBytes) flush_chunk(text, sink);
}

}  // namespace qcfg::resolver
