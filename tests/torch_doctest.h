// doctest for test files that also include LibTorch. Debian's c10 is built with glog, whose
// CHECK / CHECK_EQ / ... macros (abort on failure, not test assertions) replace doctest's when the
// torch headers come second. Include this header AFTER every torch/ATen include (and instead of
// <doctest/doctest.h>): it drops glog's macros and defines doctest's.
#pragma once

#include <ATen/ATen.h>

#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LT
#undef CHECK_LE
#undef CHECK_GT
#undef CHECK_GE
#undef CHECK_NOTNULL
#undef DCHECK
#undef DCHECK_EQ
#undef DCHECK_NE
#undef DCHECK_LT
#undef DCHECK_LE
#undef DCHECK_GT
#undef DCHECK_GE

#include <doctest/doctest.h>
