#include "controllers/faults/plan_render.hpp"

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/clock_skew.hpp"
#include "injector/nfqueue/queue_rule_spec.hpp"
#include "injector/tc_spec.hpp"

namespace faultline {

namespace {

// An argv as a shell would read it back, for the eye only: faultline never
// hands it to a shell.
std::string shell_words(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./:=@,+{}%") == std::string::npos;
    std::string word = plain ? arg : "'";
    if (!plain) {
      for (char c : arg) word += c == '\'' ? std::string("'\\''") : std::string(1, c);
      word += "'";
    }
    out += (out.empty() ? "" : " ") + word;
  }
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
    const std::string how = " as " + s->user + ", killed after " + format_duration(s->timeout) + ": ";
    lines.push_back(in + "run" + how + shell_words(s->run));
    if (!s->at_end.empty()) lines.push_back(in + "at the end, run" + how + shell_words(s->at_end));
  }
  return lines;
}

}  // namespace faultline
