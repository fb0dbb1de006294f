#pragma once
// The verdict of a run: every invariant's result, the overall outcome and the
// exit code a CI job gates on.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"

namespace faultline {

// Exit codes of `faultline` (documented in README.md and docs/experiments.md).
inline constexpr int kExitHolds = 0;
inline constexpr int kExitViolated = 1;
inline constexpr int kExitUnknown = 2;
// The system under test could not be started: a service exited during
// startup or never became healthy. Nothing was judged; not faultline's fault.
inline constexpr int kExitTargetFailed = 3;
inline constexpr int kExitInterrupted = 130;  // SIGINT/SIGTERM; everything was cleaned up
inline constexpr int kExitBadInput = 254;
inline constexpr int kExitInternal = 255;

struct Verdict {
  std::string experiment;
  std::string run_id;
  std::uint64_t seed = 0;
  std::vector<CheckResult> results;
  nlohmann::json run;  // counts, timings, faults applied
  bool unknown_fails = true;  // the experiment's choice: does "unknown" fail CI?

  // Violated if any invariant is; else unknown if any is; else holds.
  Validity overall() const;
  int exit_code() const;
};

nlohmann::json to_json(const Verdict& verdict);
// For a terminal: one line per invariant, then the witness of each violation.
std::string render_text(const Verdict& verdict, bool color);

}  // namespace faultline
