#pragma once
// What a checker says about one invariant: holds, violated or unknown (could
// not decide), with the operations that prove a violation.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

enum class Validity { holds, violated, unknown };

struct CheckResult {
  std::string invariant;
  Validity validity = Validity::unknown;
  std::string summary;             // one line for the terminal
  nlohmann::json details;          // figures for verdict.json
  std::vector<Operation> witness;  // minimal evidence of a violation
};

const char* validity_name(Validity v);

}  // namespace faultline
