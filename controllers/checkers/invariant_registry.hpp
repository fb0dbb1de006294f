#pragma once
// The invariant kinds an experiment may name, looked up by name.
#include <string>
#include <string_view>
#include <vector>

#include "controllers/checkers/invariant_kind.hpp"

namespace faultline {

// In the order messages list them.
const std::vector<const InvariantKind*>& invariant_kinds();
const InvariantKind* find_invariant_kind(std::string_view name);
std::vector<std::string> invariant_kind_names();
// Every key an [[invariant]] table may hold, "kind" first, then each kind's
// in the order they are registered.
std::vector<std::string> invariant_keys();

}  // namespace faultline
