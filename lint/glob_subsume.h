// Static reasoning about fnmatch patterns without a model: does every quantizer name one pattern
// matches also match another? Used to find entries that a later entry fully overrides.
#pragma once

#include <string_view>

namespace qcfg::lint {

// True when every name `specific` matches is also matched by `general` (fnmatch semantics:
// `*` crosses dots, `?` one character, `[...]` sets). Sound but not complete: false means "not
// proven" (e.g. a set in `specific` is only covered by `*`, `?` or an identical set).
bool glob_subsumes(std::string_view general, std::string_view specific);

}  // namespace qcfg::lint
