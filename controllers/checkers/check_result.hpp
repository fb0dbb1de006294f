#pragma once
// What a checker says about one invariant: holds, violated or unknown (could
// not decide), with the operations that prove a violation and how much it
// judged. An invariant that judged nothing is unknown, never holds: a run in
// which no write was acknowledged proves nothing about lost writes.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/checkers/series.hpp"
#include "controllers/history/history.hpp"

namespace faultline {

enum class Validity { holds, violated, unknown };

struct CheckResult {
  std::string invariant;
  Validity validity = Validity::unknown;
  std::string summary;             // one line for the terminal
  nlohmann::json details;          // figures for verdict.json
  std::vector<Operation> witness;  // minimal evidence of a violation
  // How many of what it counts the invariant judged: 12 "acknowledged
  // writes", 3 "keys". Shown beside the verdict so a PASS says what it rests on.
  std::size_t judged = 0;
  std::string judged_what;
  // What it judged over time (series.hpp): report.html draws each as a chart,
  // verdict.json carries them.
  std::vector<Series> series;
};

// "12 acknowledged writes"
std::string judged_text(const CheckResult& r);

const char* validity_name(Validity v);

}  // namespace faultline
