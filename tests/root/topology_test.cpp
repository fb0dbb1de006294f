#include <catch2/catch.hpp>

#include "controllers/topology/netns_topology.hpp"
#include "injector/network_namespace.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;

TEST_CASE("regions built from a plan reach each other over IPv4 and IPv6 and vanish on teardown",
          "[root][topology]") {
  const std::string id = testing::unique_run_id();
  auto plan = plan_topology(id, {{"us-east-1", "us"}, {"eu-west-1", "eu"}, {"ap-south-1", "ap"}},
                            {"app", "client"});
  {
    auto topology = NamespaceTopology::build(plan);
    CHECK(injector::list_named_namespaces(namespace_prefix(id)).size() == 1 + 3 * 3);
    const auto& eu_app = plan.region("eu-west-1").host("app");
    auto v4 =
        testing::bound_socket(topology->host("eu-west-1", "app"), eu_app.ipv4, 9000, SOCK_STREAM);
    auto v6 =
        testing::bound_socket(topology->host("eu-west-1", "app"), eu_app.ipv6, 9000, SOCK_STREAM);
    CHECK(testing::can_connect(topology->host("us-east-1", "client"), eu_app.ipv4, 9000));
    CHECK(testing::can_connect(topology->host("ap-south-1", "client"), eu_app.ipv6, 9000));
    CHECK(testing::can_connect(topology->host("eu-west-1", "client"), eu_app.ipv4, 9000));
  }
  CHECK(injector::list_named_namespaces(namespace_prefix(id)).empty());
}

TEST_CASE("a topology that fails half-way removes what it made and nothing else",
          "[root][topology]") {
  const std::string id = testing::unique_run_id();
  auto plan = plan_topology(id, {{"us-east-1", "us"}, {"eu-west-1", "eu"}}, {"app", "client"});
  // Someone else's namespace is in the way of the second region's client.
  auto squatter = injector::NetworkNamespace::create(plan.region("eu-west-1").host("client").netns);
  CHECK_THROWS_WITH(NamespaceTopology::build(plan), Catch::Contains("already exists"));
  auto left = injector::list_named_namespaces(namespace_prefix(id));
  REQUIRE(left.size() == 1);
  CHECK(left[0] == squatter.name());
}
