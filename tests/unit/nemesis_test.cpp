// The order in which a run changes things, with a recording actuator and a
// manual clock: no root, no sleeping.
#include "controllers/faults/nemesis.hpp"

#include <catch2/catch.hpp>

#include "controllers/timeline/timeline_driver.hpp"
#include "unit/recording_actuator.hpp"

using namespace faultline;
using namespace faultline::testing;
using namespace std::chrono_literals;
using Log = std::vector<std::string>;

namespace {

RouteStep route(const std::string& netns, const std::string& destination) {
  return RouteStep{netns, injector::Route{.destination = destination,
                                          .type = injector::RouteType::blackhole}};
}

FaultPlan partition_plan(std::size_t index) {
  const std::string n = std::to_string(index);
  return {.fault = index,
          .kind = "partition",
          .what = "partition " + n,
          .steps = {route("fl-t-a", "198.18." + n + ".0/24"), route("fl-t-b", "198.18." + n + ".1/24")}};
}

FaultPlan process_plan(std::size_t index, ProcessAction action) {
  return {.fault = index,
          .kind = action == ProcessAction::restart ? "restart" : "kill",
          .what = "process " + std::to_string(index),
          .lasting = action != ProcessAction::restart,
          .steps = {ProcessStep{action, "eu", "app"}}};
}

struct Fixture {
  ManualClock clock;
  RecordingActuator actuator{clock};
  RecordingNemesisLog log;
  std::unique_ptr<Nemesis> nemesis;
  explicit Fixture(std::vector<FaultPlan> plans) {
    nemesis = std::make_unique<Nemesis>(std::move(plans), actuator, clock, log,
                                        Nemesis::Options{.history_origin = clock.start()});
  }
};

}  // namespace

TEST_CASE("a fault is prepared, then waits for its instant, then commits every step", "[nemesis]") {
  Fixture f({partition_plan(0)});
  const auto due = f.clock.start() + 5s;
  f.nemesis->start(0, due);
  CHECK(f.actuator.log() == Log{"prepare route 198.18.0.0/24 in fl-t-a",
                                "prepare route 198.18.0.1/24 in fl-t-b",
                                "commit route 198.18.0.0/24 in fl-t-a",
                                "commit route 198.18.0.1/24 in fl-t-b"});
  // Prepared before the instant, committed at it.
  CHECK(f.actuator.events[0].at == 0s);
  CHECK(f.actuator.events[1].at == 0s);
  CHECK(f.actuator.events[2].at == 5s);
  CHECK(f.actuator.events[3].at == 5s);
  CHECK(f.log.lines == Log{"invoke start-partition", "journal 0 applied", "ok start-partition"});
  CHECK(f.nemesis->active() == std::vector<std::size_t>{0});
  REQUIRE(f.nemesis->fault_log().size() == 1);
  CHECK(f.nemesis->fault_log()[0]["start_ms"] == 5000);
  CHECK(f.nemesis->fault_log()[0]["start_late_us"] == 0);
}

TEST_CASE("a step that fails to commit rolls the committed ones back, newest first", "[nemesis]") {
  FaultPlan plan = partition_plan(0);
  plan.steps.push_back(route("fl-t-c", "198.18.9.0/24"));
  Fixture f({plan});
  f.actuator.fail_commit = {"route 198.18.9.0/24 in fl-t-c"};
  CHECK_THROWS_WITH(f.nemesis->start(0, f.clock.start() + 1s),
                    "cannot commit route 198.18.9.0/24 in fl-t-c");
  CHECK(f.actuator.log() == Log{"prepare route 198.18.0.0/24 in fl-t-a",
                                "prepare route 198.18.0.1/24 in fl-t-b",
                                "prepare route 198.18.9.0/24 in fl-t-c",
                                "commit route 198.18.0.0/24 in fl-t-a",
                                "commit route 198.18.0.1/24 in fl-t-b",
                                "commit route 198.18.9.0/24 in fl-t-c",
                                "revert route 198.18.0.1/24 in fl-t-b",
                                "revert route 198.18.0.0/24 in fl-t-a"});
  CHECK(f.log.lines ==
        Log{"invoke start-partition", "fail start-partition: cannot commit route 198.18.9.0/24 in fl-t-c"});
  CHECK(f.nemesis->active().empty());
}

TEST_CASE("a step that cannot be prepared changes nothing", "[nemesis]") {
  Fixture f({partition_plan(0)});
  f.actuator.fail_prepare = {"route 198.18.0.1/24 in fl-t-b"};
  CHECK_THROWS(f.nemesis->start(0, f.clock.start() + 1s));
  CHECK(f.actuator.log() == Log{"prepare route 198.18.0.0/24 in fl-t-a",
                                "prepare route 198.18.0.1/24 in fl-t-b"});
  CHECK(f.clock.elapsed() == 0s);  // it did not even wait for the instant
}

TEST_CASE("the heal reverts faults newest first, each fault's steps newest first", "[nemesis]") {
  Fixture f({partition_plan(0), partition_plan(1)});
  f.nemesis->start(0, f.clock.start() + 1s);
  f.nemesis->start(1, f.clock.start() + 2s);
  f.actuator.events.clear();
  f.log.lines.clear();
  f.nemesis->heal();
  CHECK(f.actuator.log() == Log{"revert route 198.18.1.1/24 in fl-t-b",
                                "revert route 198.18.1.0/24 in fl-t-a",
                                "revert route 198.18.0.1/24 in fl-t-b",
                                "revert route 198.18.0.0/24 in fl-t-a"});
  CHECK(f.log.lines == Log{"invoke heal", "invoke stop-partition", "journal 1 reverted",
                           "ok stop-partition", "invoke stop-partition", "journal 0 reverted",
                           "ok stop-partition", "ok heal"});
  CHECK(f.clock.elapsed() == 2s);  // the heal waits for no instant
  CHECK(f.nemesis->active().empty());
}

TEST_CASE("a run that unwinds (an interrupt, an error) reverts what is in force, newest first",
          "[nemesis]") {
  Fixture f({partition_plan(0), process_plan(1, ProcessAction::kill)});
  f.nemesis->start(0, f.clock.start() + 1s);
  f.nemesis->start(1, f.clock.start() + 2s);
  f.actuator.events.clear();
  f.nemesis.reset();
  CHECK(f.actuator.log() == Log{"revert kill app@eu", "revert route 198.18.0.1/24 in fl-t-b",
                                "revert route 198.18.0.0/24 in fl-t-a"});
}

TEST_CASE("a stop waits for its instant and reports every problem of the revert", "[nemesis]") {
  Fixture f({partition_plan(0)});
  f.nemesis->start(0, f.clock.start() + 1s);
  f.actuator.fail_revert = {"route 198.18.0.0/24 in fl-t-a", "route 198.18.0.1/24 in fl-t-b"};
  f.log.lines.clear();
  CHECK_THROWS_WITH(f.nemesis->stop(0, f.clock.start() + 4s),
                    "reverting fault 0 (partition 0): cannot revert route 198.18.0.1/24 in fl-t-b; "
                    "cannot revert route 198.18.0.0/24 in fl-t-a");
  CHECK(f.actuator.events.back().at == 4s);
  CHECK(f.log.lines.front() == "invoke stop-partition");
  CHECK(f.log.lines[1].rfind("info stop-partition: cannot revert", 0) == 0);
  CHECK(f.nemesis->active().empty());  // nothing is reverted twice
}

TEST_CASE("a restart is over once applied: nothing stays in force", "[nemesis]") {
  Fixture f({process_plan(0, ProcessAction::restart)});
  f.nemesis->start(0, f.clock.start() + 1s);
  CHECK(f.actuator.log() == Log{"prepare restart app@eu", "commit restart app@eu"});
  CHECK(f.log.lines == Log{"invoke start-restart", "journal 0 reverted", "ok start-restart"});
  CHECK(f.nemesis->active().empty());
}

TEST_CASE("a whole run's schedule on a manual clock: events at their instants, woken early",
          "[nemesis][timeline]") {
  // partition 0 at 10s for 8s, kill 1 at 15s for 5s, restart 2 at 40s; 60 s run.
  std::vector<FaultSpec> faults(3);
  faults[0].kind = "partition";
  faults[0].at = 10s;
  faults[0].length = 8s;
  faults[1].kind = "kill";
  faults[1].at = 15s;
  faults[1].length = 5s;
  faults[2].kind = "restart";
  faults[2].at = 40s;
  Fixture f({partition_plan(0), process_plan(1, ProcessAction::kill),
             process_plan(2, ProcessAction::restart)});
  Timeline timeline(faults, 60s);
  TimelineDriver driver(timeline, f.clock, {.lead = Duration(2), .tick = Duration(1000)});
  const auto origin = f.clock.start();
  int ticks = 0;
  const bool finished = driver.run(
      origin, 60s,
      [&](const TimelineEvent& event, Clock::time_point due) {
        if (event.action == FaultAction::start)
          f.nemesis->start(event.fault, due);
        else
          f.nemesis->stop(event.fault, due);
      },
      [&] {
        ++ticks;
        return true;
      });
  CHECK(finished);
  CHECK(f.clock.elapsed() == 60s);
  std::vector<std::pair<std::string, Clock::duration>> commits;
  for (const auto& e : f.actuator.events)
    if (e.what.rfind("prepare", 0) != 0) commits.emplace_back(e.what, e.at);
  using P = std::pair<std::string, Clock::duration>;
  CHECK(commits == std::vector<P>{{"commit route 198.18.0.0/24 in fl-t-a", 10s},
                                  {"commit route 198.18.0.1/24 in fl-t-b", 10s},
                                  {"commit kill app@eu", 15s},
                                  {"revert route 198.18.0.1/24 in fl-t-b", 18s},
                                  {"revert route 198.18.0.0/24 in fl-t-a", 18s},
                                  {"revert kill app@eu", 20s},
                                  {"commit restart app@eu", 40s}});
  // Every fault was prepared 2 ms before its instant.
  for (const auto& e : f.actuator.events)
    if (e.what == "prepare kill app@eu") CHECK(e.at == 15s - 2ms);
  CHECK(ticks >= 60);
  CHECK(f.nemesis->active().empty());
}

TEST_CASE("an interrupt noticed at a tick ends the schedule; the nemesis reverts on unwind",
          "[nemesis][timeline]") {
  std::vector<FaultSpec> faults(1);
  faults[0].kind = "partition";
  faults[0].at = 1s;
  faults[0].length = 30s;
  Fixture f({partition_plan(0)});
  Timeline timeline(faults, 60s);
  TimelineDriver driver(timeline, f.clock, {.lead = Duration(2), .tick = Duration(50)});
  const bool finished = driver.run(
      f.clock.start(), 60s,
      [&](const TimelineEvent& event, Clock::time_point due) { f.nemesis->start(event.fault, due); },
      [&] { return f.clock.elapsed() < 5s; });  // Ctrl-C at 5 s
  CHECK_FALSE(finished);
  CHECK(f.clock.elapsed() >= 5s);
  CHECK(f.clock.elapsed() < 5100ms);
  f.nemesis.reset();
  CHECK(f.actuator.log().back() == "revert route 198.18.0.0/24 in fl-t-a");
}
