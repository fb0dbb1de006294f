// Traffic-control faults that need no netem (htb classes, u32 filters), on
// the real kernel of this machine. Faults that need netem are in tests/netem/
// and run in the kernel lane.
#include "injector/traffic_control.hpp"

#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <vector>

#include "controllers/faults/shaping_plan.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "injector/kernel_error.hpp"
#include "injector/links.hpp"
#include <cstdlib>

#include "root/shaped_regions.hpp"

using namespace faultline;
using injector::ShapedInterface;
using injector::ShapingGuard;

using testing::bandwidth;
using Regions = testing::ShapedRegions;

TEST_CASE(
    "a bandwidth fault holds the named link to its rate over IPv4 and IPv6 and leaves other links "
    "alone",
    "[root][tc]") {
  Regions t;
  auto guards = t.apply(bandwidth({"us", "eu"}, 10'000'000));
  const double v4 =
      testing::tcp_goodput(t.host("us", "client"), t.host("eu", "app"), t.v4("eu", "app"), 9600);
  const double v6 =
      testing::tcp_goodput(t.host("us", "client"), t.host("eu", "app"), t.v6("eu", "app"), 9601);
  const double other =
      testing::tcp_goodput(t.host("us", "client"), t.host("ap", "app"), t.v4("ap", "app"), 9602);
  INFO("us->eu v4 " << v4 / 1e6 << " Mbit/s, v6 " << v6 / 1e6 << " Mbit/s; us->ap " << other / 1e6
                    << " Mbit/s");
  // Goodput is the payload: about 95% of the rate on the wire for full frames.
  // Under software emulation (the kernel lane) HTB's timers fire late and in
  // bursts, so a 2-second TCP transfer reaches less of its rate: seen at
  // 8.28-8.36 Mbit/s there, never on real hardware.
  const double floor = std::getenv("FAULTLINE_EMULATED") ? 7.5e6 : 8.5e6;
  CHECK(v4 > floor);
  CHECK(v4 < 10.5e6);
  CHECK(v6 > floor);
  CHECK(v6 < 10.5e6);
  CHECK(other > 50e6);
}

TEST_CASE("applying and reverting a traffic fault leaves every qdisc tree exactly as before",
          "[root][tc]") {
  Regions t;
  const auto before = t.trees();
  FaultSpec f = bandwidth({}, 1'000'000);  // every pair
  f.ports = PortRange{8000, 8100};
  {
    auto guards = t.apply(f);
    CHECK(t.trees() != before);
    auto second = t.apply(bandwidth({"us", "ap"}, 5'000'000));  // coexists on the same interfaces
    for (auto& g : second) CHECK(g.revert().empty());
    for (auto& g : guards) CHECK(g.revert().empty());
    for (auto& g : guards) CHECK(g.revert().empty());  // idempotent
  }
  CHECK(t.trees() == before);
}

TEST_CASE("a root qdisc faultline did not create is never replaced", "[root][tc]") {
  Regions t;
  auto sock = t.topology->socket(t.plan.region("us").router_netns);
  // Someone else's root: a tbf with handle 1:.
  rtnl_qdisc* q = rtnl_qdisc_alloc();
  rtnl_tc_set_ifindex(TC_CAST(q), injector::link_index(*sock, kRouterWanLink));
  rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
  rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
  rtnl_tc_set_kind(TC_CAST(q), "tbf");
  rtnl_qdisc_tbf_set_rate(q, 1'000'000, 10000, 0);
  rtnl_qdisc_tbf_set_limit(q, 100000);
  REQUIRE(rtnl_qdisc_add(sock->get(), q, NLM_F_CREATE | NLM_F_EXCL) == 0);
  rtnl_qdisc_put(q);
  const auto before = injector::qdisc_tree(*sock, kRouterWanLink);
  CHECK_THROWS_WITH(t.apply(bandwidth({"us", "eu"}, 1'000'000)),
                    Catch::Contains("is not faultline's"));
  CHECK(injector::qdisc_tree(*sock, kRouterWanLink) == before);
}

TEST_CASE("a traffic fault that fails half-way is rolled back", "[root][tc]") {
  Regions t;
  const auto before = t.trees();
  FaultSpec f = testing::link_fault("delay", {"us", "eu"}, false);
  f.impairment.delay = Duration(10);
  f.impairment.jitter = Duration(1);
  f.impairment.distribution = "no-such-table";  // fails after the class is in place
  CHECK_THROWS_AS(t.apply(f), injector::KernelError);
  CHECK(t.trees() == before);
}

namespace {
// The htb classes faultline has on a link, as "major:minor" handles.
std::vector<std::uint32_t> htb_classes(injector::NetlinkSocket& sock, const std::string& dev) {
  const int ifindex = injector::link_index(sock, dev);
  nl_cache* cache = nullptr;
  REQUIRE(rtnl_class_alloc_cache(sock.get(), ifindex, &cache) == 0);
  std::vector<std::uint32_t> handles;
  for (nl_object* obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj))
    handles.push_back(rtnl_tc_get_handle(TC_CAST(obj)));
  nl_cache_free(cache);
  std::sort(handles.begin(), handles.end());
  return handles;
}
}  // namespace

TEST_CASE("a shaping guard moved onto a live one reverts the live class first", "[root][tc]") {
  Regions t;
  auto sock = t.topology->socket(t.plan.region("us").router_netns);
  const auto before = t.trees();
  auto first = t.apply(bandwidth({"us", "eu"}, 1'000'000));
  auto second = t.apply(bandwidth({"us", "ap"}, 5'000'000));
  REQUIRE(first.size() == second.size());
  REQUIRE_FALSE(first.empty());
  const auto both = htb_classes(*sock, kRouterWanLink);
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = std::move(second[i]);
  const auto after = htb_classes(*sock, kRouterWanLink);
  // us's link lost the first fault's class and kept the second's.
  CHECK(after.size() < both.size());
  for (auto& g : first) CHECK(g.minor() != 0);
  for (auto& g : second) CHECK(g.revert().empty());  // inert
  for (auto& g : first) CHECK(g.revert().empty());
  // Nothing of either fault is left: the root goes only once every class has.
  CHECK(t.trees() == before);
}
