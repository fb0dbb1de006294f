// PlanStep <-> JSON for the agent protocol: every step kind with every field
// set survives the round trip, and a malformed step is refused naming the field.
#include "controllers/faults/plan_json.hpp"

#include <catch2/catch.hpp>

using namespace faultline;

namespace {

injector::PacketMatch full_match() {
  injector::PacketMatch m;
  m.family = 10;
  m.dst = "2001:2:0:2::/64";
  m.src = "2001:2:0:1::/64";
  m.protocol = 6;
  m.sport = injector::PortMatch{5432, 0xfff0};
  m.dport = injector::PortMatch{80, 0xffff};
  return m;
}

template <typename T>
T round_trip(const T& step) {
  const nlohmann::json j = step_to_json(PlanStep{step});
  // Through text, as it travels.
  PlanStep back = step_from_json(nlohmann::json::parse(j.dump()));
  REQUIRE(std::holds_alternative<T>(back));
  CHECK(step_to_json(back) == j);
  return std::get<T>(back);
}

}  // namespace

TEST_CASE("plan json: a route step keeps its namespace and every route field") {
  RouteStep s{"fl-r-us-east-1",
              {"198.18.2.0/24", "198.18.0.1", injector::RouteType::prohibit, 100, 241}};
  RouteStep b = round_trip(s);
  CHECK(b.netns == s.netns);
  CHECK(b.route == s.route);
  s.route.gateway.reset();
  s.route.type = injector::RouteType::blackhole;
  CHECK(round_trip(s).route == s.route);
}

TEST_CASE("plan json: a drop-rule step keeps its device and matches") {
  injector::PacketMatch plain;
  plain.dst = "198.18.2.0/24";
  DropRuleStep s{"gw@4242", "eth1", {full_match(), plain}};
  DropRuleStep b = round_trip(s);
  CHECK(b.netns == "gw@4242");
  CHECK(b.dev == "eth1");
  CHECK(b.matches == s.matches);
}

TEST_CASE("plan json: a shape step keeps its netem, rate, band and matches") {
  ShapeStep s;
  s.change.netns = "db@77";
  s.change.dev = "eth0";
  s.change.band = 1;
  s.change.spec.rate_bits_per_second = 8'000'000;
  s.change.spec.netem = {150000, 20000, 25, "pareto", 1.5, 10, 0.5, 2, 30, 0.1, 2000};
  s.change.spec.matches = {full_match()};
  ShapeStep b = round_trip(s);
  CHECK(b.change.netns == s.change.netns);
  CHECK(b.change.dev == s.change.dev);
  CHECK(b.change.band == 1);
  CHECK(b.change.spec.rate_bits_per_second == s.change.spec.rate_bits_per_second);
  CHECK(b.change.spec.netem == s.change.spec.netem);
  CHECK(b.change.spec.matches == s.change.spec.matches);
  s.change.spec.rate_bits_per_second.reset();
  CHECK(!round_trip(s).change.spec.rate_bits_per_second);
}

TEST_CASE("plan json: a process step keeps each action") {
  for (auto action : {ProcessAction::kill, ProcessAction::pause, ProcessAction::restart}) {
    ProcessStep b = round_trip(ProcessStep{action, "eu-west-1", "db"});
    CHECK(b.action == action);
    CHECK(b.region == "eu-west-1");
    CHECK(b.service == "db");
  }
}

TEST_CASE("plan json: a clock step keeps offset and drift") {
  ClockStep b = round_trip(ClockStep{"ap-south-1", "app", Duration(-2500), 0.25});
  CHECK(b.region == "ap-south-1");
  CHECK(b.service == "app");
  CHECK(b.offset == Duration(-2500));
  CHECK(b.drift == 0.25);
}

TEST_CASE("plan json: a command step keeps its programs, user and timeout") {
  CommandStep s;
  s.fault = 3;
  s.region = "us-east-1";
  s.host = "app";
  s.netns = "fl-abc-us-east-1-app";
  s.run = {"/bin/sh", "-c", "echo {results}"};
  s.at_end = {"/bin/true"};
  s.user = "daemon";
  s.timeout = Duration(1234);
  CommandStep b = round_trip(s);
  CHECK(b.fault == 3);
  CHECK(b.region == s.region);
  CHECK(b.host == s.host);
  CHECK(b.netns == s.netns);
  CHECK(b.run == s.run);
  CHECK(b.at_end == s.at_end);
  CHECK(b.user == "daemon");
  CHECK(b.timeout == Duration(1234));
}

TEST_CASE("plan json: a malformed step is refused naming what is wrong") {
  using nlohmann::json;
  CHECK_THROWS_WITH(step_from_json(json::array()), Catch::Contains("JSON object"));
  CHECK_THROWS_WITH(step_from_json(json{{"kind", "teleport"}}), Catch::Contains("teleport"));
  CHECK_THROWS_WITH(step_from_json(json{{"kind", "route"}, {"netns", "x"}}),
                    Catch::Contains("\"route\""));
  json bad = step_to_json(PlanStep{ProcessStep{ProcessAction::kill, "r", "s"}});
  bad["action"] = "explode";
  CHECK_THROWS_WITH(step_from_json(bad), Catch::Contains("explode"));
  bad = step_to_json(PlanStep{RouteStep{"n", {"198.18.2.0/24"}}});
  bad["route"]["metric"] = "ten";
  CHECK_THROWS_WITH(step_from_json(bad), Catch::Contains("metric"));
}
