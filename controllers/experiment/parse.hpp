#pragma once
// Reading an experiment file: TOML syntax (toml++), then every key and value
// checked before anything is created. Every problem is reported as
// `file:line:col: message`, one per line.
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

struct Diagnostic {
  std::string file;
  SourcePosition where;
  std::string message;
  std::string to_string() const;
};

class ExperimentError : public std::runtime_error {
 public:
  explicit ExperimentError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// Finds a service's program: given as written in the experiment and the folder
// of the experiment file, returns the absolute path or nothing.
using ProgramResolver = std::function<std::optional<std::string>(const std::string& program,
                                                                 const std::string& base_dir)>;

// Paths with a slash resolve relative to the experiment's folder; bare names
// are looked up next to the faultline executable, then on PATH.
std::optional<std::string> resolve_program(const std::string& program, const std::string& base_dir);

// Values for [vars] given on the command line (--var NAME=VALUE).
using VarOverrides = std::map<std::string, std::string>;

Experiment parse_experiment(std::string_view text, const std::string& path,
                            const ProgramResolver& resolver = resolve_program,
                            const VarOverrides& vars = {});
Experiment load_experiment(const std::string& path,
                           const ProgramResolver& resolver = resolve_program,
                           const VarOverrides& vars = {});

// "250ms", "10s", "1.5s", "2m", "1h". Nothing for anything else.
std::optional<Duration> parse_duration(std::string_view text);
std::string format_duration(Duration d);

// The candidate closest to `word` by edit distance, if close enough to be a
// plausible typo.
std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates);

}  // namespace faultline
