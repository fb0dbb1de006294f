#include "controllers/timeline/timeline.hpp"

#include <catch2/catch.hpp>

using namespace faultline;
using namespace std::chrono_literals;

namespace {
FaultSpec fault(std::string kind, Duration at, Duration length) {
  FaultSpec f;
  f.kind = std::move(kind);
  f.at = at;
  f.length = length;
  return f;
}
}  // namespace

TEST_CASE("a 60-second timeline advanced by hand fires each event once in order", "[timeline]") {
  std::vector<FaultSpec> faults{fault("partition", 10s, 8s),
                                fault("kill", 20s, 5s),
                                fault("restart", 40s, 0s)};
  Timeline timeline(faults, 60s);
  CHECK(timeline.next() == Duration(10s));
  CHECK(timeline.due(9999ms).empty());
  auto first = timeline.due(10s);
  REQUIRE(first.size() == 1);
  CHECK(first[0] == TimelineEvent{10s, FaultAction::start, 0});
  CHECK(timeline.due(10s).empty());  // not twice
  CHECK(timeline.next() == Duration(18s));
  // A late tick delivers everything that came due meanwhile, in order.
  auto late = timeline.due(30s);
  REQUIRE(late.size() == 3);
  CHECK(late[0] == TimelineEvent{18s, FaultAction::stop, 0});
  CHECK(late[1] == TimelineEvent{20s, FaultAction::start, 1});
  CHECK(late[2] == TimelineEvent{25s, FaultAction::stop, 1});
  auto restart = timeline.due(60s);
  REQUIRE(restart.size() == 1);  // a restart has no stop
  CHECK(restart[0].action == FaultAction::start);
  CHECK_FALSE(timeline.next().has_value());
}

TEST_CASE("at the same instant a fault stops before the next one starts", "[timeline]") {
  std::vector<FaultSpec> faults{fault("partition", 5s, 5s),
                                fault("isolate", 10s, 5s)};
  Timeline timeline(faults, 30s);
  auto events = timeline.due(10s);
  REQUIRE(events.size() == 3);
  CHECK(events[1] == TimelineEvent{10s, FaultAction::stop, 0});
  CHECK(events[2] == TimelineEvent{10s, FaultAction::start, 1});
}

TEST_CASE("a fault that outlasts the experiment stops at its end", "[timeline]") {
  std::vector<FaultSpec> faults{fault("pause", 8s, 100s)};
  Timeline timeline(faults, 12s);
  REQUIRE(timeline.events().size() == 2);
  CHECK(timeline.events()[1] == TimelineEvent{12s, FaultAction::stop, 0});
}
