#pragma once
// What is wrong with an experiment file, as `file:line:col: message`, and the
// "did you mean" guess that goes with a misspelt name.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "controllers/experiment/experiment.hpp"

namespace faultline {

struct Diagnostic {
  std::string file;
  SourcePosition where;
  std::string message;
  std::string to_string() const;
};

// Every problem of one file: the parser collects them all before throwing,
// so a user fixes a file in one go.
class ExperimentError : public std::runtime_error {
 public:
  explicit ExperimentError(std::vector<Diagnostic> diagnostics);
  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }

 private:
  std::vector<Diagnostic> diagnostics_;
};

// The candidate closest to `word` by edit distance, if close enough to be a
// plausible typo.
std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates);

// Names as a message lists them: "a", "a and b", "a, b and c"; each quoted
// ('a') when `quote`.
std::string listed(const std::vector<std::string>& names, bool quote = true);

}  // namespace faultline
