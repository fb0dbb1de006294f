// The command fault: how its table is read and refused, what it plans, how
// its program's outcome is reported, and what the nemesis records of it.
#include <catch2/catch.hpp>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/command_report.hpp"
#include "controllers/faults/fault_plan.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/faults/nemesis.hpp"
#include "controllers/timeline/timeline.hpp"
#include "unit/recording_actuator.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;
using Log = std::vector<std::string>;

namespace {

// Programs named "missing..." are not found; the rest are in /usr/bin.
std::optional<std::string> some_programs(const std::string& program, const std::string&) {
  if (program.rfind("missing", 0) == 0) return std::nullopt;
  return "/usr/bin/" + program;
}

// The [[fault]] table starts on line 17; its own keys from line 20.
const char* kExperiment = R"(
[experiment]
name = "failover"
duration = "20s"

[[region]]
name = "us-east-1"
geo = "us"

[[region]]
name = "eu-west-1"
geo = "eu"

[vars]
role = "standby"

[[fault]]
kind = "command"
at = "5s"
)";

Experiment read(const std::string& keys) {
  return parse_experiment(std::string(kExperiment) + keys, "x.toml", some_programs);
}

std::string first_error(const std::string& keys) {
  try {
    read(keys);
  } catch (const ExperimentError& e) {
    return e.diagnostics().front().to_string();
  }
  return "(no error)";
}

const std::string kWhere = "region = \"eu-west-1\"\nhost = \"db\"\n";

}  // namespace

TEST_CASE("a command fault reads its program, where it runs, its user and timeout", "[command]") {
  const Experiment e =
      read(kWhere +
           "run = [\"pg_ctl\", \"promote\", \"--as={vars.role}\"]\nuser = \"root\"\n"
           "timeout = \"2s\"\n");
  REQUIRE(e.faults.size() == 1);
  const FaultSpec& f = e.faults[0];
  CHECK(f.region == "eu-west-1");
  CHECK(f.host == "db");
  CHECK(f.command.run == std::vector<std::string>{"pg_ctl", "promote", "--as=standby"});
  CHECK(f.command.program == "/usr/bin/pg_ctl");
  CHECK(f.command.at_end.empty());
  CHECK(f.command.user == "root");
  CHECK(f.command.timeout == Duration(2000));
  CHECK(describe_fault(f) == "command eu-west-1/db pg_ctl");
  // No `for` and nothing to run at the end: over once run, like a restart.
  CHECK_FALSE(fault_lasts(f));
  Timeline timeline(e.faults, e.duration);
  CHECK(timeline.due(Duration(20000)).size() == 1);
}

TEST_CASE("a command fault with an end command lasts for its `for`", "[command]") {
  const Experiment e = read("for = \"3s\"\n" + kWhere +
                            "run = [\"promote.sh\"]\nat_end = [\"demote.sh\", \"{region}\"]\n");
  const FaultSpec& f = e.faults[0];
  CHECK(f.command.user == "nobody");
  CHECK(f.command.timeout == Duration(30000));
  CHECK(f.command.end_program == "/usr/bin/demote.sh");
  CHECK(fault_lasts(f));
  Timeline timeline(e.faults, e.duration);
  const auto events = timeline.due(Duration(20000));
  REQUIRE(events.size() == 2);
  CHECK(events[1].action == FaultAction::stop);
  CHECK(events[1].at == Duration(8000));
  // `for` alone also lasts: the interval is recorded, nothing runs at its end.
  CHECK(fault_lasts(read("for = \"1s\"\n" + kWhere + "run = [\"promote.sh\"]\n").faults[0]));
}

TEST_CASE("a command fault's mistakes are one line each, naming the fix", "[command]") {
  CHECK(first_error("region = \"eu-west-1\"\nhost = \"db\"\n") ==
        "x.toml:17:1: missing required key 'run' in [[fault]]");
  CHECK(first_error(kWhere + "run = [\"missing-promote\"]\n") ==
        "x.toml:22:7: program 'missing-promote' not found (looked next to faultline and on PATH; a "
        "path with '/' is relative to the experiment file): build it or fix the path");
  CHECK(
      first_error(kWhere + "run = [\"promote.sh\"]\nat_end = [\"missing-demote\"]\nfor = \"1s\"\n")
          .find("program 'missing-demote' not found") != std::string::npos);
  CHECK(first_error(kWhere + "run = []\n") ==
        "x.toml:22:7: 'run' must name a program, e.g. [\"promote.sh\", \"{region}\"]");
  CHECK(first_error(kWhere + "run = [\"promote.sh\"]\nat_end = [\"demote.sh\"]\n") ==
        "x.toml:23:10: 'at_end' runs when the fault ends: give 'for'");
  CHECK(first_error("region = \"eu-west-1\"\nhost = \"dbb\"\nrun = [\"promote.sh\"]\n") ==
        "x.toml:21:8: unknown host 'dbb'; did you mean 'db'? (the hosts are [experiment] hosts)");
  CHECK(first_error("region = \"eu-west-2\"\nhost = \"db\"\nrun = [\"promote.sh\"]\n") ==
        "x.toml:20:10: unknown region 'eu-west-2'; did you mean 'eu-west-1'?");
  CHECK(first_error(kWhere + "run = [\"promote.sh\", \"{workdir}/x\"]\n") ==
        "x.toml:22:7: a command has no {workdir} of its own (that is a service's): write under "
        "{results}");
  CHECK(first_error(kWhere + "run = [\"promote.sh\", \"{regoin}\"]\n") ==
        "x.toml:22:7: unknown placeholder '{regoin}' in 'run'; did you mean '{region}'?");
  CHECK(first_error(kWhere + "run = [\"promote.sh\", \"{vars.rol}\"]\n") ==
        "x.toml:22:7: unknown variable '{vars.rol}' in command; did you mean '{vars.role}'? "
        "(variables are defined in [vars])");
  CHECK(first_error(kWhere + "run = [\"promote.sh\"]\nuser = \"no body\"\n") ==
        "x.toml:23:8: 'user' must be a user name such as \"nobody\" (or \"root\")");
  CHECK(first_error(kWhere + "run = [\"promote.sh\"]\ntimeout = \"11m\"\n").find("'timeout'") !=
        std::string::npos);
  CHECK(first_error(kWhere + "run = [\"promote.sh\"]\npercent = 5\n") ==
        "x.toml:23:1: 'percent' does not apply to a command fault (its keys: at, for, region, "
        "host, run, at_end, user, timeout)");
}

TEST_CASE("a command's output is kept as text, at most 4 KiB, cut between characters",
          "[command]") {
  CHECK(bounded_output("promoted\n") == "promoted\n");
  CHECK(bounded_output(std::string(5000, 'x')).size() == kCommandOutputLimit);
  // Bytes that are not UTF-8 become U+FFFD; the history is JSON.
  CHECK(bounded_output("a\xff"
                       "b") ==
        "a\xEF\xBF\xBD"
        "b");
  CHECK(bounded_output("\xC3(") == "\xEF\xBF\xBD(");  // a lead byte without its continuation
  CHECK(bounded_output("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(bounded_output("\xC3\xA9t\xC3\xA9") == "\xC3\xA9t\xC3\xA9");
  // A character that does not fit whole is left out, not split.
  CHECK(bounded_output("ab\xC3\xA9", 3) == "ab");
  CHECK(nlohmann::json(bounded_output("\x80\x81 ok")).dump() == "\"\xEF\xBF\xBD\xEF\xBF\xBD ok\"");
}

TEST_CASE("a command's exit and output are its report; anything but exit 0 is a failure",
          "[command]") {
  StepReport ok =
      command_report({.exit = 0, .output = "promoted\n", .ended = "exit status 0"}, "the command");
  CHECK(ok.value == nlohmann::json{{"exit", 0}, {"output", "promoted\n"}});
  CHECK(ok.failure.empty());
  StepReport failed = command_report(
      {.exit = 3, .output = "no standby\n", .ended = "exit status 3"}, "the command");
  CHECK(failed.value["exit"] == 3);
  CHECK(failed.failure == "the command failed: exit status 3");
  StepReport killed = command_report({.output = "waiting",
                                      .ended = "killed by signal 9 (SIGKILL)",
                                      .timed_out = true,
                                      .timeout = Duration(2000)},
                                     "the at_end command");
  CHECK(killed.value["exit"].is_null());
  CHECK(killed.value["output"] == "waiting");
  CHECK(killed.failure ==
        "the at_end command was still running at its timeout of 2s: killed with its process group");
  StepReport signalled =
      command_report({.output = "", .ended = "killed by signal 11 (SIGSEGV)"}, "the command");
  CHECK(signalled.failure == "the command failed: killed by signal 11 (SIGSEGV)");
}

TEST_CASE("the run's folder fills in the {results} the plan left", "[command]") {
  CHECK(with_results({"/bin/sh", "-c", "echo hi > {results}/a && cat {results}/a"}, "/r/x") ==
        std::vector<std::string>{"/bin/sh", "-c", "echo hi > /r/x/a && cat /r/x/a"});
  // A folder whose name holds the placeholder is not filled in again.
  CHECK(with_results({"{results}"}, "/r/{results}") == std::vector<std::string>{"/r/{results}"});
}

namespace {

FaultPlan command_plan(bool at_end) {
  CommandStep step{.fault = 0,
                   .region = "eu",
                   .host = "db",
                   .netns = "fl-t-eu-db",
                   .run = {"/usr/bin/promote.sh"}};
  if (at_end) step.at_end = {"/usr/bin/demote.sh"};
  return {.fault = 0,
          .kind = "command",
          .what = "command eu/db promote.sh",
          .lasting = at_end,
          .steps = {step}};
}

struct Fixture {
  ManualClock clock;
  RecordingActuator actuator{clock};
  RecordingNemesisLog log;
  std::unique_ptr<Nemesis> nemesis;
  explicit Fixture(FaultPlan plan) {
    nemesis = std::make_unique<Nemesis>(std::vector<FaultPlan>{std::move(plan)}, actuator, clock,
                                        log, Nemesis::Options{.history_origin = clock.start()});
  }
};

const std::string kStep = "command in db@eu";

}  // namespace

TEST_CASE("the nemesis records a command's exit and output in its operation",
          "[command][nemesis]") {
  Fixture f(command_plan(false));
  f.actuator.commit_reports[kStep] =
      command_report({.exit = 0, .output = "promoted\n", .ended = "exit status 0"}, "the command");
  f.nemesis->start(0, f.clock.start() + 5s);
  CHECK(f.actuator.log() == Log{"prepare " + kStep, "commit " + kStep});
  // Over once run: journalled as reverted, nothing in force.
  CHECK(f.log.lines == Log{"invoke start-command", "journal 0 reverted", "ok start-command"});
  CHECK(f.nemesis->active().empty());
  // The invoke says what will run; the completion adds how it went.
  CHECK(f.log.values[0] ==
        nlohmann::json{{"fault", 0}, {"kind", "command"}, {"what", "command eu/db promote.sh"}});
  CHECK(f.log.values[1] == nlohmann::json{{"fault", 0},
                                          {"kind", "command"},
                                          {"what", "command eu/db promote.sh"},
                                          {"exit", 0},
                                          {"output", "promoted\n"}});
}

TEST_CASE("a failed command is a finding: info with its exit, and the run goes on",
          "[command][nemesis]") {
  Fixture f(command_plan(true));
  f.actuator.commit_reports[kStep] = command_report(
      {.exit = 1, .output = "no standby to promote\n", .ended = "exit status 1"}, "the command");
  f.actuator.revert_reports[kStep] =
      command_report({.exit = 0, .output = "", .ended = "exit status 0"}, "the at_end command");
  f.nemesis->start(0, f.clock.start() + 1s);  // no throw
  CHECK(f.log.lines == Log{"invoke start-command", "journal 0 applied",
                           "info start-command: the command failed: exit status 1"});
  CHECK(f.log.values[1]["exit"] == 1);
  CHECK(f.log.values[1]["output"] == "no standby to promote\n");
  // Still in force: its end command runs at the end, and reports in the stop.
  CHECK(f.nemesis->active() == std::vector<std::size_t>{0});
  f.nemesis->stop(0, f.clock.start() + 3s);
  CHECK(f.actuator.log() == Log{"prepare " + kStep, "commit " + kStep, "revert " + kStep});
  CHECK(f.log.lines == Log{"invoke start-command", "journal 0 applied",
                           "info start-command: the command failed: exit status 1",
                           "invoke stop-command", "journal 0 reverted", "ok stop-command"});
  CHECK(f.log.values[3]["exit"] == 0);
  CHECK(f.log.values[3]["output"] == "");
}

TEST_CASE("an end command that fails makes the stop info, not an error", "[command][nemesis]") {
  Fixture f(command_plan(true));
  f.actuator.revert_reports[kStep] = command_report({.output = "still waiting",
                                                     .ended = "killed by signal 9 (SIGKILL)",
                                                     .timed_out = true,
                                                     .timeout = Duration(30000)},
                                                    "the at_end command");
  f.nemesis->start(0, f.clock.start() + 1s);
  f.nemesis->heal();  // no throw
  CHECK(f.log.lines ==
        Log{"invoke start-command", "journal 0 applied", "ok start-command", "invoke heal",
            "invoke stop-command", "journal 0 reverted",
            "info stop-command: the at_end command was still running at its timeout of 30s: "
            "killed with its process group",
            "ok heal"});
  CHECK(f.log.values[4]["exit"].is_null());
  CHECK(f.log.values[4]["output"] == "still waiting");
}

TEST_CASE("a command that takes long started on time: its run is not lateness",
          "[command][nemesis]") {
  Fixture f(command_plan(false));
  f.actuator.commit_takes[kStep] = 2s;
  f.actuator.commit_reports[kStep] = command_report(
      {.exit = 0, .output = "", .ended = "exit status 0", .ran = 2s - 300us}, "the command");
  f.nemesis->start(0, f.clock.start() + 5s);
  REQUIRE(f.nemesis->fault_log().size() == 1);
  // Started 300 us after its instant (the fork), done 2 s later.
  CHECK(f.nemesis->fault_log()[0]["start_late_us"] == 300);
  CHECK(f.nemesis->fault_log()[0]["start_ms"] == 7000);
}
