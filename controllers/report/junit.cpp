#include "controllers/report/junit.hpp"

#include <cstdlib>
#include <sstream>

namespace faultline {

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no control characters but tab, newline, return.
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r')
          out += ' ';
        else
          out += c;
    }
  }
  return out;
}

std::string commit_under_test() {
  for (const char* name : {"FAULTLINE_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA"})
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return value;
  return "unknown";
}

JunitCounts junit_counts(const Verdict& verdict) {
  JunitCounts counts;
  counts.tests = verdict.results.size();
  for (const auto& r : verdict.results) {
    if (r.validity == Validity::violated) ++counts.failures;
    if (r.validity == Validity::unknown)
      (verdict.unknown_fails ? counts.failures : counts.skipped)++;
  }
  return counts;
}

std::string render_junit(const Verdict& verdict) {
  const JunitCounts counts = junit_counts(verdict);
  const double seconds =
      verdict.run.is_object() ? verdict.run.value("duration_ms", 0) / 1000.0 : 0.0;
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"faultline\" tests=\"" << counts.tests << "\" failures=\""
      << counts.failures << "\" errors=\"0\" time=\"" << seconds << "\">\n"
      << render_junit_testsuite(verdict, seconds) << "</testsuites>\n";
  return out.str();
}

std::string render_junit_testsuite(const Verdict& verdict, double seconds,
                                   const std::vector<std::pair<std::string, std::string>>& extra) {
  const auto [tests, failures, skipped] = junit_counts(verdict);
  std::string schedule;
  if (verdict.run.contains("faults"))
    for (const auto& f : verdict.run["faults"]) {
      if (!schedule.empty()) schedule += "; ";
      schedule += f.value("what", "?") + " " + std::to_string(f.value("start_ms", 0)) + "-" +
                  (f.contains("stop_ms") ? std::to_string(f["stop_ms"].get<std::int64_t>()) : "end") +
                  " ms";
    }
  const std::string suite = "faultline." + verdict.experiment;
  std::ostringstream out;
  out << "  <testsuite name=\"" << xml_escape(suite) << "\" tests=\"" << tests << "\" failures=\""
      << failures << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"" << seconds << "\">\n"
      << "    <properties>\n";
  auto property = [&](const std::string& name, const std::string& value) {
    out << "      <property name=\"" << xml_escape(name) << "\" value=\"" << xml_escape(value)
        << "\"/>\n";
  };
  property("seed", std::to_string(verdict.seed));
  property("commit", commit_under_test());
  property("run_id", verdict.run_id);
  property("fault_schedule", schedule.empty() ? "none" : schedule);
  if (verdict.run.contains("engine")) property("engine", verdict.run["engine"].get<std::string>());
  if (verdict.run.contains("results_dir"))
    property("results_dir", verdict.run["results_dir"].get<std::string>());
  for (const auto& [name, value] : extra) property(name, value);
  out << "    </properties>\n";
  for (const auto& r : verdict.results) {
    out << "    <testcase classname=\"" << xml_escape(suite) << "\" name=\"" << xml_escape(r.invariant)
        << "\" time=\"0\">\n"
        << "      <properties>\n"
        << "        <property name=\"judged\" value=\"" << r.judged << "\"/>\n"
        << "        <property name=\"judged_what\" value=\"" << xml_escape(r.judged_what) << "\"/>\n"
        << "      </properties>\n";
    std::string witness;
    for (const auto& op : r.witness) witness += to_json(op).dump() + "\n";
    if (r.validity == Validity::violated) {
      out << "      <failure type=\"violated\" message=\"" << xml_escape(r.summary) << "\">"
          << xml_escape(witness) << "</failure>\n";
    } else if (r.validity == Validity::unknown) {
      if (verdict.unknown_fails)
        out << "      <failure type=\"unknown\" message=\"" << xml_escape(r.summary) << "\"/>\n";
      else
        out << "      <skipped message=\"" << xml_escape(r.summary) << "\"/>\n";
    }
    out << "      <system-out>"
        << xml_escape(r.summary + "\njudged " + judged_text(r) + "\n" + r.details.dump())
        << "</system-out>\n"
        << "    </testcase>\n";
  }
  out << "  </testsuite>\n";
  return out.str();
}

}  // namespace faultline
