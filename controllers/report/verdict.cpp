#include "controllers/report/verdict.hpp"

#include <sstream>

#include "controllers/report/write_latency.hpp"

namespace faultline {

Validity Verdict::overall() const {
  bool unknown = false;
  for (const auto& r : results) {
    if (r.validity == Validity::violated) return Validity::violated;
    if (r.validity == Validity::unknown) unknown = true;
  }
  return unknown ? Validity::unknown : Validity::holds;
}

int Verdict::exit_code() const {
  switch (overall()) {
    case Validity::holds:
      return kExitHolds;
    case Validity::violated:
      return kExitViolated;
    case Validity::unknown:
      return unknown_fails ? kExitUnknown : kExitHolds;
  }
  return kExitInternal;
}

nlohmann::json to_json(const Verdict& verdict) {
  nlohmann::json invariants = nlohmann::json::array();
  for (const auto& r : verdict.results) {
    nlohmann::json witness = nlohmann::json::array();
    for (const auto& op : r.witness) witness.push_back(to_json(op));
    nlohmann::json series = nlohmann::json::array();
    for (const auto& s : r.series) series.push_back(to_json(s));
    invariants.push_back({{"invariant", r.invariant},
                          {"result", validity_name(r.validity)},
                          {"summary", r.summary},
                          {"judged", r.judged},
                          {"judged_what", r.judged_what},
                          {"details", r.details},
                          {"witness", witness},
                          {"series", series}});
  }
  return {{"experiment", verdict.experiment},
          {"run_id", verdict.run_id},
          {"seed", verdict.seed},
          {"result", validity_name(verdict.overall())},
          {"exit_code", verdict.exit_code()},
          {"invariants", invariants},
          {"run", verdict.run}};
}

std::string render_text(const Verdict& verdict, bool color) {
  auto paint = [&](Validity v, const std::string& text) {
    if (!color) return text;
    const char* code = v == Validity::holds      ? "\033[32m"
                       : v == Validity::violated ? "\033[31m"
                                                 : "\033[33m";
    return std::string(code) + text + "\033[0m";
  };
  auto label = [](Validity v) {
    return v == Validity::holds ? "PASS" : v == Validity::violated ? "FAIL" : "UNKNOWN";
  };
  std::ostringstream out;
  out << "\nverdict for " << verdict.experiment << " (run " << verdict.run_id << ", seed "
      << verdict.seed << ")\n";
  for (const auto& r : verdict.results) {
    out << "  " << paint(r.validity, label(r.validity)) << "  " << r.invariant << ": " << r.summary
        << " [judged " << judged_text(r) << "]\n";
    if (r.validity == Validity::violated && !r.witness.empty()) {
      out << "        witness:\n";
      for (const auto& op : r.witness) out << "          " << to_json(op).dump() << "\n";
    }
  }
  if (verdict.run.contains("write_latency") && !verdict.run["write_latency"].empty()) {
    out << "  acknowledged writes took, by the client's region:\n";
    for (const auto& line : render_write_latency(verdict.run["write_latency"]))
      out << "    " << line << "\n";
  }
  if (verdict.results.empty())
    out << "  (no invariants: the run showed only that the services started and the faults "
           "applied and healed)\n";
  out << "  => " << paint(verdict.overall(), label(verdict.overall())) << " (exit "
      << verdict.exit_code() << ")\n";
  return out.str();
}

}  // namespace faultline
