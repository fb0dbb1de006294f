#include "controllers/topology/plan.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace faultline;

TEST_CASE("topology plan gives every region its own subnets from the benchmarking ranges",
          "[plan]") {
  auto plan =
      plan_topology("ab12cd", {{"us-east-1", "us"}, {"eu-west-1", "eu"}, {"ap-south-1", "ap"}},
                    {"app", "db", "client"});
  REQUIRE(plan.regions.size() == 3);
  CHECK(plan.backbone_netns == "fl-ab12cd-backbone");
  const auto& eu = plan.region("eu-west-1");
  CHECK(eu.index == 2);
  CHECK(eu.router_netns == "fl-ab12cd-eu-west-1");
  CHECK(eu.lan_v4 == "198.18.2.0/24");
  CHECK(eu.lan_v6 == "2001:2:0:2::/64");
  CHECK(eu.gateway_v4 == "198.18.2.1");
  CHECK(eu.wan_v4 == "198.19.0.2");
  CHECK(eu.wan_v6 == "2001:2:0:ffff::2");
  CHECK(eu.backbone_port == "r2");
  CHECK(eu.host("app").ipv4 == "198.18.2.10");
  CHECK(eu.host("client").ipv4 == "198.18.2.12");
  CHECK(eu.host("db").ipv6 == "2001:2:0:2::b");
  CHECK(eu.host("db").netns == "fl-ab12cd-eu-west-1-db");
  CHECK(eu.host("client").router_port == "p-client");
}

TEST_CASE("every namespace address and interface name in a plan is unique and fits the kernel",
          "[plan]") {
  std::vector<RegionInput> regions;
  for (int i = 1; i <= kMaxRegions; ++i) regions.push_back({"region-" + std::to_string(i), "geo"});
  auto plan = plan_topology("x", regions, {"app", "db", "client", "cache"});
  std::set<std::string> namespaces, addresses;
  for (const auto& ns : plan.namespaces()) CHECK(namespaces.insert(ns).second);
  for (const auto& r : plan.regions) {
    CHECK(addresses.insert(r.wan_v4).second);
    CHECK(addresses.insert(r.wan_v6).second);
    CHECK(addresses.insert(r.gateway_v4).second);
    CHECK(r.backbone_port.size() < 16);
    for (const auto& h : r.hosts) {
      CHECK(addresses.insert(h.ipv4).second);
      CHECK(addresses.insert(h.ipv6).second);
      CHECK(h.router_port.size() < 16);
    }
  }
  CHECK(plan.region("region-200").lan_v4 == "198.18.200.0/24");
  CHECK(plan.region("region-200").lan_v6 == "2001:2:0:c8::/64");
}

TEST_CASE("planning refuses what the address plan cannot hold", "[plan]") {
  std::vector<RegionInput> regions(kMaxRegions + 1, {"r", "g"});
  CHECK_THROWS_AS(plan_topology("x", regions, {"app"}), std::invalid_argument);
  CHECK_THROWS_AS(plan_topology("", {{"a", "g"}}, {"app"}), std::invalid_argument);
}
