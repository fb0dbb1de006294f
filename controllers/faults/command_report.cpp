#include "controllers/faults/command_report.hpp"

#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

// The length of the UTF-8 sequence starting at `s[i]`, or 0 when none
// starts there (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF).
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

}  // namespace

std::string bounded_output(std::string_view raw, std::size_t limit) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  for (std::size_t i = 0; i < raw.size();) {
    const std::size_t n = sequence_length(raw, i);
    const std::size_t taken = n == 0 ? kReplacement.size() : n;
    if (out.size() + taken > limit) break;
    if (n == 0)
      out += kReplacement;
    else
      out.append(raw.substr(i, n));
    i += n == 0 ? 1 : n;
  }
  return out;
}

StepReport command_report(const CommandOutcome& outcome, const std::string& which) {
  StepReport report;
  report.value["exit"] = outcome.exit ? nlohmann::json(*outcome.exit) : nlohmann::json(nullptr);
  report.value["output"] = bounded_output(outcome.output);
  report.waited = outcome.ran;
  if (outcome.timed_out)
    report.failure = which + " was still running at its timeout of " +
                     format_duration(outcome.timeout) + ": killed with its process group";
  else if (!outcome.exit || *outcome.exit != 0)
    report.failure = which + " failed: " + outcome.ended;
  return report;
}

std::vector<std::string> with_results(const std::vector<std::string>& argv,
                                      const std::string& results) {
  const std::string placeholder = kResultsPlaceholder;
  std::vector<std::string> out;
  for (std::string arg : argv) {
    for (std::size_t at = arg.find(placeholder); at != std::string::npos;
         at = arg.find(placeholder, at + results.size()))
      arg.replace(at, placeholder.size(), results);
    out.push_back(std::move(arg));
  }
  return out;
}

}  // namespace faultline
