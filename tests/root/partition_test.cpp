#include <catch2/catch.hpp>
#include <map>

#include "controllers/faults/partition_plan.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "injector/kernel_error.hpp"
#include "injector/route_block.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;
using injector::RouteBlockGuard;
using injector::RouteType;

namespace {

struct ThreeRegions {
  TopologyPlan plan;
  std::unique_ptr<NamespaceTopology> topology;
  ThreeRegions()
      : plan(plan_topology(testing::unique_run_id(), {{"us", "us"}, {"eu", "eu"}, {"ap", "ap"}},
                           {"app", "client"})),
        topology(NamespaceTopology::build(plan)) {}

  RouteBlockGuard partition(const std::vector<std::vector<std::string>>& groups, bool one_way,
                            RouteType drop, std::size_t fault = 0) {
    std::vector<RouteBlockGuard::Entry> entries;
    for (auto& c : plan_partition(plan, groups, one_way, drop, partition_metric(fault)))
      entries.push_back({topology->socket(c.netns), c.netns, c.route});
    return RouteBlockGuard::apply(std::move(entries));
  }
  const injector::NamespaceFd& client(const std::string& r) { return topology->host(r, "client"); }
  const injector::NamespaceFd& app(const std::string& r) { return topology->host(r, "app"); }
  std::string app_v4(const std::string& r) { return plan.region(r).host("app").ipv4; }
  std::string app_v6(const std::string& r) { return plan.region(r).host("app").ipv6; }
};

}  // namespace

TEST_CASE(
    "a partition cuts both directions between groups and nothing within them: revert restores",
    "[root][partition]") {
  ThreeRegions t;
  std::vector<testing::Fd> servers;
  for (auto r : {"us", "eu", "ap"}) {
    servers.push_back(testing::bound_socket(t.app(r), t.app_v4(r), 9100, SOCK_STREAM));
    servers.push_back(testing::bound_socket(t.app(r), t.app_v6(r), 9100, SOCK_STREAM));
  }
  auto guard = t.partition({{"us"}, {"eu", "ap"}}, false, RouteType::blackhole);
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v4("eu"), 9100));
  CHECK_FALSE(testing::can_connect(t.client("eu"), t.app_v4("us"), 9100));
  CHECK_FALSE(testing::can_connect(t.client("ap"), t.app_v6("us"), 9100));
  CHECK(testing::can_connect(t.client("eu"), t.app_v4("ap"), 9100));  // same side
  CHECK(testing::can_connect(t.client("us"), t.app_v4("us"), 9100));  // inside a region
  CHECK(guard.revert().empty());
  CHECK(testing::can_connect(t.client("us"), t.app_v4("eu"), 9100));
  CHECK(testing::can_connect(t.client("ap"), t.app_v6("us"), 9100));
  CHECK(guard.revert().empty());  // idempotent
}

TEST_CASE("a one-way partition drops only the first group's packets", "[root][partition]") {
  ThreeRegions t;
  auto at_eu = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9200, SOCK_DGRAM);
  auto at_us = testing::bound_socket(t.app("us"), t.app_v4("us"), 9200, SOCK_DGRAM);
  auto at_us6 = testing::bound_socket(t.app("us"), t.app_v6("us"), 9201, SOCK_DGRAM);
  auto guard = t.partition({{"us"}, {"eu"}}, true, RouteType::blackhole);
  CHECK_FALSE(testing::datagram_arrives(t.client("us"), at_eu, t.app_v4("eu"), 9200));
  CHECK(testing::datagram_arrives(t.client("eu"), at_us, t.app_v4("us"), 9200));
  CHECK(testing::datagram_arrives(t.client("eu"), at_us6, t.app_v6("us"), 9201));
  guard.revert();
  CHECK(testing::datagram_arrives(t.client("us"), at_eu, t.app_v4("eu"), 9200));
}

TEST_CASE("prohibit mode refuses at once instead of timing out", "[root][partition]") {
  ThreeRegions t;
  auto server = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9300, SOCK_STREAM);
  auto guard = t.partition({{"us"}, {"eu"}}, false, RouteType::prohibit);
  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(
      testing::can_connect(t.client("us"), t.app_v4("eu"), 9300, std::chrono::milliseconds(3000)));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2000));
}

TEST_CASE("overlapping partitions coexist: stopping one leaves the other in force",
          "[root][partition]") {
  ThreeRegions t;
  auto server = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9400, SOCK_STREAM);
  auto first = t.partition({{"us"}, {"eu"}}, false, RouteType::blackhole, 0);
  auto second = t.partition({{"us"}, {"eu", "ap"}}, false, RouteType::blackhole, 1);
  first.revert();
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v4("eu"), 9400));
  second.revert();
  CHECK(testing::can_connect(t.client("us"), t.app_v4("eu"), 9400));
}

TEST_CASE("a partition that fails half-way is rolled back", "[root][partition]") {
  ThreeRegions t;
  auto server = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9500, SOCK_STREAM);
  std::vector<RouteBlockGuard::Entry> entries;
  for (auto& c : plan_partition(t.plan, {{"us"}, {"eu"}}, false, RouteType::blackhole, 100))
    entries.push_back({t.topology->socket(c.netns), c.netns, c.route});
  entries.push_back(entries.front());  // the same route twice: the kernel says EEXIST
  CHECK_THROWS_AS(RouteBlockGuard::apply(entries), injector::KernelError);
  CHECK(testing::can_connect(t.client("us"), t.app_v4("eu"), 9500));
  CHECK(testing::can_connect(t.client("eu"), t.app_v4("us"), 9500) ==
        false);  // nothing listens there
}

#include "controllers/faults/shaping_plan.hpp"
#include "injector/nfqueue/queue_rules.hpp"

TEST_CASE("a partition narrowed to a port cuts that port and leaves the others",
          "[root][partition]") {
  ThreeRegions t;
  auto cut = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9601, SOCK_STREAM);
  auto open = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9602, SOCK_STREAM);
  auto cut6 = testing::bound_socket(t.app("eu"), t.app_v6("eu"), 9601, SOCK_STREAM);
  std::map<std::string, std::unique_ptr<injector::QueueRuleTable>> tables;
  for (const auto& change :
       plan_port_partition(t.plan, {{"us"}, {"eu"}}, false, PortRange{9601, 9601}, 6)) {
    std::vector<injector::QueueRule> rules;
    for (const auto& m : change.spec.matches) rules.push_back({change.dev, m, 0, 0, true});
    auto& table = tables[change.netns];
    table =
        std::make_unique<injector::QueueRuleTable>(t.topology->netns(change.netns), change.netns);
    table->set(1, rules);
  }
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v4("eu"), 9601));
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v6("eu"), 9601));
  CHECK(testing::can_connect(t.client("us"), t.app_v4("eu"), 9602));
  CHECK(testing::can_connect(t.client("ap"), t.app_v4("eu"), 9601));  // not part of the partition
  for (auto& [netns, table] : tables) CHECK_FALSE(table->remove(1).has_value());
  CHECK(testing::can_connect(t.client("us"), t.app_v4("eu"), 9601));
}

TEST_CASE("a one-way partition narrowed to a port drops only the first group's packets",
          "[root][partition]") {
  ThreeRegions t;
  auto at_eu = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9700, SOCK_DGRAM);
  auto at_us = testing::bound_socket(t.app("us"), t.app_v4("us"), 9700, SOCK_DGRAM);
  auto changes = plan_port_partition(t.plan, {{"us"}, {"eu"}}, true, PortRange{9700, 9700}, 17);
  REQUIRE(changes.size() == 1);
  injector::QueueRuleTable table(t.topology->netns(changes[0].netns), changes[0].netns);
  std::vector<injector::QueueRule> rules;
  for (const auto& m : changes[0].spec.matches) rules.push_back({changes[0].dev, m, 0, 0, true});
  table.set(1, rules);
  CHECK_FALSE(testing::datagram_arrives(t.client("us"), at_eu, t.app_v4("eu"), 9700));
  CHECK(testing::datagram_arrives(t.client("eu"), at_us, t.app_v4("us"), 9700));
}

TEST_CASE("a partition guard moved onto a live one reverts the live partition first",
          "[root][partition]") {
  ThreeRegions t;
  auto eu = testing::bound_socket(t.app("eu"), t.app_v4("eu"), 9450, SOCK_STREAM);
  auto ap = testing::bound_socket(t.app("ap"), t.app_v4("ap"), 9450, SOCK_STREAM);
  auto guard = t.partition({{"us"}, {"ap"}}, false, RouteType::prohibit, 0);
  auto other = t.partition({{"us"}, {"eu"}}, false, RouteType::prohibit, 1);
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v4("ap"), 9450));
  guard = std::move(other);  // us|ap is reverted; us|eu now belongs to `guard`
  CHECK(testing::can_connect(t.client("us"), t.app_v4("ap"), 9450));
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v4("eu"), 9450));
  CHECK_FALSE(other.active());
  CHECK(other.revert().empty());  // inert: it owns nothing
  CHECK_FALSE(testing::can_connect(t.client("us"), t.app_v4("eu"), 9450));
  CHECK(guard.revert().empty());
  CHECK(testing::can_connect(t.client("us"), t.app_v4("eu"), 9450));
}
