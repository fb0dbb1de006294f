#pragma once
// Finding the program a service runs, before anything is started: a missing
// binary is an experiment error, not a failed run.
#include <functional>
#include <optional>
#include <string>

namespace faultline {

// Finds a service's program: given as written in the experiment and the folder
// of the experiment file, returns the absolute path or nothing. Tests pass
// their own to keep off the file system.
using ProgramResolver = std::function<std::optional<std::string>(const std::string& program,
                                                                 const std::string& base_dir)>;

// Paths with a slash resolve relative to the experiment's folder; bare names
// are looked up next to the faultline executable, then in ../lib/faultline
// beside it (the installed layout: /usr/bin/faultline, /usr/lib/faultline/),
// then on PATH.
std::optional<std::string> resolve_program(const std::string& program, const std::string& base_dir);

}  // namespace faultline
