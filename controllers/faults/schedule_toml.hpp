#pragma once
// A drawn schedule as an ordinary experiment: the file as written, with each
// fault its [[nemesis]] tables drew written out as a [[fault]] table, the
// [[nemesis]] tables gone, and the seed and [vars] the run used, so
// `faultline run schedule.toml` replays the same faults without drawing.
// `faultline shrink` edits such files.
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

// The [[fault]] table that reads back as `fault` (kinds a nemesis draws, and
// the written keys of the others it keeps from the file).
toml::table fault_table(const FaultSpec& fault);

// `original` is the text `e` was read from.
toml::table schedule_document(std::string_view original, const Experiment& e);
// A document as a file, its sections in the order the docs give them.
std::string render_document(const toml::table& document, const std::string& heading);

}  // namespace faultline
