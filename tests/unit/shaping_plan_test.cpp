#include "controllers/faults/shaping_plan.hpp"

#include <catch2/catch.hpp>

using namespace faultline;
using namespace std::chrono_literals;
using injector::PortMatch;

namespace {
TopologyPlan regions() {
  return plan_topology("t", {{"us", "us"}, {"eu", "eu"}, {"ap", "ap"}}, {"app", "db", "client"});
}
FaultSpec delay_between(std::vector<std::string> between, bool one_way) {
  FaultSpec f;
  f.kind = "delay";
  f.between = std::move(between);
  f.one_way = one_way;
  f.impairment.delay = 100ms;
  return f;
}
}  // namespace

TEST_CASE("port ranges become the fewest value/mask pairs", "[shaping]") {
  CHECK(injector::port_range_masks(5432, 5432) == std::vector<PortMatch>{{5432, 0xffff}});
  CHECK(injector::port_range_masks(8000, 8003) == std::vector<PortMatch>{{8000, 0xfffc}});
  CHECK(injector::port_range_masks(8001, 8004) ==
        std::vector<PortMatch>{{8001, 0xffff}, {8002, 0xfffe}, {8004, 0xffff}});
  CHECK(injector::port_range_masks(1, 65535).size() == 16);
  // Every port of a range is covered exactly once, and nothing outside it.
  auto masks = injector::port_range_masks(1000, 2000);
  for (unsigned port = 990; port <= 2010; ++port) {
    int hits = 0;
    for (const auto& m : masks) hits += (port & m.mask) == m.value;
    CHECK(hits == (port >= 1000 && port <= 2000 ? 1 : 0));
  }
}

TEST_CASE("a one-way link fault shapes only the source router's WAN egress towards the destination",
          "[shaping]") {
  auto changes = plan_traffic_fault(regions(), delay_between({"us", "eu"}, true), std::nullopt);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].netns == "fl-t-us");
  CHECK(changes[0].dev == "wan0");
  CHECK(changes[0].band == 0);
  CHECK(changes[0].spec.netem.delay_us == 100000);
  REQUIRE(changes[0].spec.matches.size() == 2);
  CHECK(changes[0].spec.matches[0].dst == "198.18.2.0/24");
  CHECK(changes[0].spec.matches[1].dst == "2001:2:0:2::/64");
  CHECK(changes[0].spec.matches[1].family == 10);
}

TEST_CASE("a both-ways fault shapes both routers and an unnamed link means every pair",
          "[shaping]") {
  CHECK(plan_traffic_fault(regions(), delay_between({"us", "eu"}, false), std::nullopt).size() ==
        2);
  auto all = plan_traffic_fault(regions(), delay_between({}, false), std::nullopt);
  REQUIRE(all.size() == 3);
  for (const auto& change : all)
    CHECK(change.spec.matches.size() == 4);  // 2 destinations x 2 families
}

TEST_CASE("a port-scoped fault selects packets from and to the ports", "[shaping]") {
  FaultSpec f = delay_between({"us", "eu"}, true);
  f.ports = PortRange{8080, 8080};
  f.protocol = 17;
  auto changes = plan_traffic_fault(regions(), f, std::nullopt);
  REQUIRE(changes[0].spec.matches.size() == 4);  // (to, from) x 2 families
  const auto& to = changes[0].spec.matches[0];
  const auto& from = changes[0].spec.matches[1];
  CHECK(to.protocol == 17);
  CHECK(to.dport == PortMatch{8080, 0xffff});
  CHECK_FALSE(to.sport.has_value());
  CHECK(from.sport == PortMatch{8080, 0xffff});
}

TEST_CASE("slow-db shapes only what the database port sends, on the database host", "[shaping]") {
  FaultSpec f;
  f.kind = "slow-db";
  f.region = "eu";
  f.host = "db";
  f.ports = PortRange{5432, 5432};
  f.impairment.delay = 200ms;
  f.impairment.loss = 5;
  auto changes = plan_traffic_fault(regions(), f, std::nullopt);
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].netns == "fl-t-eu-db");
  CHECK(changes[0].dev == "eth0");
  CHECK(changes[0].spec.netem.delay_us == 200000);
  CHECK(changes[0].spec.netem.loss == 5);
  REQUIRE(changes[0].spec.matches.size() == 2);
  for (const auto& m : changes[0].spec.matches) {
    CHECK(m.sport == PortMatch{5432, 0xffff});
    CHECK_FALSE(m.dst.has_value());
    CHECK(m.protocol == 6);
  }
}

TEST_CASE("the WAN baseline is one class per router in the later band, and faults carry it",
          "[shaping]") {
  WanBaseline wan;
  wan.impairment.delay = 40ms;
  wan.impairment.jitter = 4ms;
  wan.impairment.distribution = "normal";
  auto baseline = plan_wan_baseline(regions(), wan);
  REQUIRE(baseline.size() == 3);
  CHECK(baseline[0].band == 1);
  CHECK(injector::filter_prio(0x10, 1) >
        injector::filter_prio(0xff, 0));  // faults are consulted first

  FaultSpec f = delay_between({"us", "eu"}, true);
  f.impairment.jitter = 20ms;
  auto changes = plan_traffic_fault(regions(), f, wan);
  CHECK(changes[0].spec.netem.delay_us == 140000);        // delays add
  CHECK(changes[0].spec.netem.jitter_us == 20000);        // what the fault sets replaces
  CHECK(changes[0].spec.netem.distribution == "normal");  // the rest is the baseline's

  FaultSpec loss;
  loss.kind = "loss";
  loss.impairment.loss = 10;
  auto lossy = plan_traffic_fault(regions(), loss, wan);
  CHECK(lossy[0].spec.netem.delay_us == 40000);
  CHECK(lossy[0].spec.netem.loss == 10);
}

TEST_CASE("the dry run prints what tc would be asked", "[shaping]") {
  injector::ShapingSpec spec;
  spec.rate_bits_per_second = 10'000'000;
  spec.netem.delay_us = 50000;
  spec.netem.jitter_us = 5000;
  spec.netem.distribution = "normal";
  spec.netem.loss = 1.5;
  injector::PacketMatch m;
  m.dst = "198.18.2.0/24";
  m.protocol = 6;
  m.dport = PortMatch{5432, 0xffff};
  spec.matches.push_back(m);
  auto lines = injector::describe_shaping("wan0", 0x11, 44, spec);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        "tc class add dev wan0 parent fa00: classid fa00:11 htb rate 10000000bit ceil 10000000bit");
  CHECK(lines[1] ==
        "tc qdisc add dev wan0 parent fa00:11 handle fa11: netem limit 10000 delay 50ms 5ms "
        "distribution normal loss 1.5%");
  CHECK(lines[2] ==
        "tc filter add dev wan0 parent fa00: prio 44 protocol ip u32 match ip dst 198.18.2.0/24 "
        "match ip protocol 6 0xff match ip dport 5432 0xffff flowid fa00:11");
}
