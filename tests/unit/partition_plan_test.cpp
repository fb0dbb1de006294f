#include "controllers/faults/partition_plan.hpp"

#include <catch2/catch.hpp>

using namespace faultline;
using injector::RouteType;

namespace {
TopologyPlan three_regions() {
  return plan_topology("t", {{"us", "us"}, {"eu", "eu"}, {"ap", "ap"}}, {"app"});
}
bool has(const std::vector<RouteChange>& changes, const std::string& in, const std::string& dst) {
  for (const auto& c : changes)
    if (c.region == in && c.route.destination == dst) return true;
  return false;
}
}  // namespace

TEST_CASE("a symmetric partition blocks each side's subnets in the other side's routers v4 and v6",
          "[partition]") {
  auto plan = three_regions();
  auto changes = plan_partition(plan, {{"us"}, {"eu", "ap"}}, false, RouteType::blackhole, 100);
  CHECK(changes.size() == 8);  // 4 region pairs x 2 families
  CHECK(has(changes, "us", "198.18.2.0/24"));
  CHECK(has(changes, "us", "2001:2:0:3::/64"));
  CHECK(has(changes, "eu", "198.18.1.0/24"));
  CHECK(has(changes, "ap", "2001:2:0:1::/64"));
  CHECK_FALSE(has(changes, "eu", "198.18.3.0/24"));  // same side: untouched
  for (const auto& c : changes) {
    CHECK(c.route.type == RouteType::blackhole);
    CHECK(c.route.metric == 100);
    CHECK(c.route.metric < kRegionRouteMetric);
    CHECK_FALSE(c.route.gateway.has_value());
  }
}

TEST_CASE("a one-way partition only blocks the first group's traffic", "[partition]") {
  auto plan = three_regions();
  auto changes = plan_partition(plan, {{"us"}, {"eu"}}, true, RouteType::prohibit, 101);
  REQUIRE(changes.size() == 2);
  CHECK(has(changes, "us", "198.18.2.0/24"));
  CHECK(has(changes, "us", "2001:2:0:2::/64"));
  CHECK(changes[0].route.type == RouteType::prohibit);
  CHECK(changes[0].netns == "fl-t-us");
}

TEST_CASE("each fault gets its own metric so overlapping partitions coexist", "[partition]") {
  CHECK(partition_metric(0) != partition_metric(1));
  CHECK(partition_metric(499) < kRegionRouteMetric);
  CHECK(injector::describe(injector::Route{"198.18.2.0/24", std::nullopt, RouteType::blackhole,
                                           100}) == "blackhole 198.18.2.0/24 metric 100");
}
