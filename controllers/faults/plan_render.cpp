#include "controllers/faults/plan_render.hpp"

#include <algorithm>
#include <cstdio>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/clock_skew.hpp"
#include "injector/nfqueue/queue_rule_spec.hpp"
#include "injector/tc_spec.hpp"

namespace faultline {

namespace {

// An argv as a shell would read it back, for the eye only: faultline never
// hands it to a shell. Plain words bare, others in single quotes, and those
// with a newline or another control character in bash's $'...' on one line.
std::string shell_word(const std::string& arg) {
  static const std::string kPlain =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+{}%";
  if (!arg.empty() && arg.find_first_not_of(kPlain) == std::string::npos) return arg;
  const bool control = std::any_of(arg.begin(), arg.end(), [](char c) {
    return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  std::string word = control ? "$'" : "'";
  for (char c : arg) {
    if (!control) {
      word += c == '\'' ? std::string("'\\''") : std::string(1, c);
    } else if (c == '\n') {
      word += "\\n";
    } else if (c == '\t') {
      word += "\\t";
    } else if (c == '\\' || c == '\'') {
      word += std::string("\\") + c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned char>(c));
      word += hex;
    } else {
      word += c;
    }
  }
  return word + "'";
}

std::string shell_words(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) out += (out.empty() ? "" : " ") + shell_word(arg);
  return out;
}

}  // namespace

std::vector<std::string> PlanRenderer::render(const std::vector<PlanStep>& steps) {
  std::vector<std::string> lines;
  for (const auto& step : steps)
    for (auto& line : render(step)) lines.push_back(std::move(line));
  return lines;
}

std::vector<std::string> PlanRenderer::render(const PlanStep& step) {
  std::vector<std::string> lines;
  const std::string in = "netns " + step_netns(step) + ": ";
  if (const auto* s = std::get_if<RouteStep>(&step)) {
    lines.push_back(in + "route add " + injector::describe(s->route) + " proto " +
                    std::to_string(int(injector::kFaultlineRouteProtocol)));
  } else if (const auto* s = std::get_if<DropRuleStep>(&step)) {
    for (const auto& m : s->matches)
      lines.push_back(in + "nft add rule " + (m.family == 10 ? "ip6" : "ip") + " " +
                      injector::kNftTable + " egress " +
                      injector::render_rule({s->dev, m, 0, 0, true}));
  } else if (const auto* s = std::get_if<ShapeStep>(&step)) {
    const ShapingChange& change = s->change;
    auto [it, fresh] =
        next_minor_.try_emplace({change.netns, change.dev}, injector::kFirstFaultMinor);
    if (fresh)
      lines.push_back(in + "tc qdisc add dev " + change.dev +
                      " root handle fa00: htb default 1 (once per interface, with class fa00:1 "
                      "unlimited)");
    const std::uint16_t minor = it->second++;
    for (const auto& line : injector::describe_shaping(
             change.dev, minor, injector::filter_prio(minor, change.band), change.spec))
      lines.push_back(in + line);
  } else if (const auto* s = std::get_if<ProcessStep>(&step)) {
    const std::string who = s->service + "@" + s->region;
    switch (s->action) {
      case ProcessAction::kill:
        lines.push_back("SIGKILL the process group of " + who + "; start it again at the end");
        break;
      case ProcessAction::pause:
        lines.push_back("SIGSTOP the process group of " + who + "; SIGCONT at the end");
        break;
      case ProcessAction::restart:
        lines.push_back("SIGKILL then start " + who);
        break;
    }
  } else if (const auto* s = std::get_if<ClockStep>(&step)) {
    const std::string who =
        s->service.empty() ? "the services of " + s->region : s->service + "@" + s->region;
    lines.push_back("clock of " + who + " (libfaketime): \"" + faketime_spec(s->offset, s->drift) +
                    "\"; \"" + faketime_spec(Duration(0), 0) + "\" again at the end");
  } else if (const auto* s = std::get_if<CommandStep>(&step)) {
    const std::string how =
        " as " + s->user + ", killed after " + format_duration(s->timeout) + ": ";
    lines.push_back(in + "run" + how + shell_words(s->run));
    if (!s->at_end.empty()) lines.push_back(in + "at the end, run" + how + shell_words(s->at_end));
  }
  return lines;
}

}  // namespace faultline
