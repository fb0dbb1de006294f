#pragma once
// Reading an experiment file: TOML syntax (toml++), then every key and value
// checked before anything is created. Every problem is reported as
// `file:line:col: message`, one per line.
//
// The pieces, for code that needs only one: diagnostic.hpp (Diagnostic,
// ExperimentError, nearest), units.hpp (durations and rates), program.hpp
// (resolve_program), validate.hpp (the checks across sections).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "controllers/experiment/diagnostic.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/experiment/program.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

// Values for [vars] given on the command line (--var NAME=VALUE).
using VarOverrides = std::map<std::string, std::string>;

// `seed`, when given, replaces the file's (--seed N); the [[nemesis]] tables
// draw their faults from whichever seed the experiment ends up with.
Experiment parse_experiment(std::string_view text, const std::string& path,
                            const ProgramResolver& resolver = resolve_program,
                            const VarOverrides& vars = {},
                            std::optional<std::uint64_t> seed = std::nullopt);
Experiment load_experiment(const std::string& path,
                           const ProgramResolver& resolver = resolve_program,
                           const VarOverrides& vars = {},
                           std::optional<std::uint64_t> seed = std::nullopt);

}  // namespace faultline
