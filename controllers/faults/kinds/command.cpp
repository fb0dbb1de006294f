// command: a program run in one host at the fault's instant, and optionally
// another when the fault ends; what a failover manager or an operator does
// (promote a standby, point a router elsewhere), so an experiment can script
// a failover and the history records when it happened and how it went.
//
// Its programs are found and checked as a service's command is: placeholders
// and {vars.NAME} in every argument, the program resolved before anything is
// created. With no `at_end` and no `for` it is over once run, like a restart.
#include "controllers/services/command.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "controllers/experiment/sections.hpp"
#include "controllers/faults/kinds/common.hpp"

namespace faultline {

namespace {

using namespace fault_kinds;

// One argv key (`run` or `at_end`): variables filled in, placeholders
// checked, the program found. Returns the resolved program, or "" after
// reporting what is wrong.
std::string read_argv(const FaultTable& in, const char* key, bool required,
                      std::vector<std::string>& argv) {
  Reader& r = in.reader;
  auto given = r.strings(in.table, key, required);
  if (!given) return "";
  const toml::node& at = *in.table.get(key);
  for (auto& arg : *given) arg = substitute_vars(r, at, arg, in.experiment);
  argv = *given;
  if (argv.empty()) {
    r.error(at,
            "'" + std::string(key) + "' must name a program, e.g. [\"promote.sh\", \"{region}\"]");
    return "";
  }
  check_placeholders(r, at, argv, in.experiment, "'" + std::string(key) + "'");
  for (const auto& arg : argv)
    if (arg.find("{workdir}") != std::string::npos)
      r.error(at,
              "a command has no {workdir} of its own (that is a service's): write under "
              "{results}");
  if (auto program = in.resolver(argv[0], in.base_dir)) return *program;
  r.error(at, "program '" + argv[0] +
                  "' not found (looked next to faultline and on PATH; a path with '/' is relative "
                  "to the experiment file): build it or fix the path");
  return "";
}

void read(const FaultTable& in, FaultSpec& f) {
  Reader& r = in.reader;
  const toml::table& t = in.table;
  const Experiment& e = in.experiment;
  CommandFaultSpec& c = f.command;
  read_region(in, f);
  if (auto host = r.string(t, "host", true)) {
    if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end()) {
      std::string msg = "unknown host '" + *host + "'";
      if (auto guess = nearest(*host, e.hosts)) msg += "; did you mean '" + *guess + "'?";
      r.error(*t.get("host"), msg + " (the hosts are [experiment] hosts)");
    }
    f.host = *host;
  }
  c.program = read_argv(in, "run", true, c.run);
  c.end_program = read_argv(in, "at_end", false, c.at_end);
  if (t.contains("at_end") && f.length.count() == 0)
    r.error(*t.get("at_end"), "'at_end' runs when the fault ends: give 'for'");
  if (auto user = r.string(t, "user")) {
    if (user->empty() || !std::all_of(user->begin(), user->end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        }))
      r.error(*t.get("user"), "'user' must be a user name such as \"nobody\" (or \"root\")");
    c.user = *user;
  }
  if (auto timeout = r.duration(t, "timeout", Duration(10), Duration(600000))) c.timeout = *timeout;
}

// The argv as it will run: placeholders filled for the host (but
// {results}), the program's resolved path first.
std::vector<std::string> expand(const FaultPlanning& at, const FaultSpec& f,
                                const std::vector<std::string>& argv, const std::string& program) {
  if (argv.empty()) return {};
  auto out = expand_command(argv, at.topology, f.region, f.host, kResultsPlaceholder);
  out[0] = program;
  return out;
}

std::vector<PlanStep> plan(const FaultPlanning& at, const FaultSpec& f) {
  const CommandFaultSpec& c = f.command;
  return {CommandStep{.fault = at.index,
                      .region = f.region,
                      .host = f.host,
                      .netns = at.topology.region(f.region).host(f.host).netns,
                      .run = expand(at, f, c.run, c.program),
                      .at_end = expand(at, f, c.at_end, c.end_program),
                      .user = c.user,
                      .timeout = c.timeout}};
}

// "command us-east-1/db promote.sh": the program as the experiment names it.
std::string describe(const FaultSpec& f) {
  const std::string program =
      f.command.run.empty() ? "" : std::filesystem::path(f.command.run[0]).filename().string();
  return f.kind + " " + f.region + "/" + f.host + " " + program;
}

}  // namespace

const FaultKind& command_fault() {
  static const FaultKind kind{
      .name = "command",
      .summary =
          "a program run in a host at an instant (a failover, a reconfiguration), and "
          "optionally another when the fault ends",
      .keys = {region_key("the region of the host the program runs in"),
               {.name = "host",
                .type = KeyType::string,
                .description = "the host it runs in (one of [experiment] hosts): its network "
                               "namespace",
                .required = true},
               {.name = "run",
                .type = KeyType::strings,
                .description = "the program and its arguments, with the placeholders a "
                               "service's command takes; found as a service's program is",
                .required = true},
               {.name = "at_end",
                .type = KeyType::strings,
                .description = "a program run there when the fault ends (needs 'for'), as 'run'"},
               {.name = "user",
                .type = KeyType::string,
                .description = "the user both run as (\"root\" allowed)",
                .default_value = "\"nobody\""},
               {.name = "timeout",
                .type = KeyType::duration,
                .description = "how long each may run; one still running then is killed with "
                               "its process group and the operation is reported as failed",
                .default_value = "\"30s\"",
                .minimum = "10ms",
                .maximum = "10m"}},
      .family = FaultFamily::command,
      .for_optional = true,
      .read = read,
      .plan = plan,
      .describe = describe,
  };
  return kind;
}

}  // namespace faultline
