#pragma once
// A JSON Schema (draft-07, which taplo and Even Better TOML read for TOML
// files) of experiment files, generated from the key tables the readers obey:
// section_keys.hpp for the file's own sections, the fault, invariant and
// client kinds' registries for the rest. `faultline schema` prints it; the
// package installs it. Each key carries its description, type, bounds,
// allowed values and default, so an editor completes and checks keys as the
// user types; what the schema cannot say (a failover in the same geo, a host
// that exists) stays the validator's.
#include <nlohmann/json.hpp>

namespace faultline {

nlohmann::json experiment_schema();

}  // namespace faultline
