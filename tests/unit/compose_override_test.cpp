// `faultline compose-override`'s pure parts: reading a user's compose file
// (tests/compose/fixtures/, and the third-party stack the compose test runs),
// the placement and its refusals, and the override's text, read back as YAML
// and as the containers the compose provider would find.
#include "controllers/compose/compose_override.hpp"

#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <string>

#include "controllers/compose/compose_file.hpp"
#include "controllers/compose/compose_topology.hpp"

using namespace faultline;
using namespace faultline::compose;

namespace {

const std::string kFixtures = std::string(FAULTLINE_SOURCE_DIR) + "/tests/compose/fixtures/";
const std::string kThirdParty =
    std::string(FAULTLINE_SOURCE_DIR) + "/tests/compose/thirdparty/docker-compose.yml";

OverrideOptions placed(std::initializer_list<const char*> regions) {
  OverrideOptions o;
  for (const char* r : regions) o.placements.push_back(parse_placement(r));
  return o;
}

std::string refusal(const ComposeFile& file, const OverrideOptions& options) {
  try {
    plan_override(file, options);
  } catch (const OverrideError& e) {
    return e.what();
  }
  return "no error";
}

std::string refusal(const std::string& placement) {
  try {
    parse_placement(placement);
  } catch (const OverrideError& e) {
    return e.what();
  }
  return "no error";
}

const OverrideOptions kRedis =
    placed({"redis-primary=us-east-1:db", "redis-replica-eu=eu-west-1:db",
            "redis-replica-ap=ap-south-1:db"});

}  // namespace

TEST_CASE("a compose file's services, through anchors and merge keys") {
  const ComposeFile f = load_compose_file(kFixtures + "webshop.yml");
  CHECK(f.version == "2.4");
  REQUIRE(f.service_names() == std::vector<std::string>{"db", "app", "app-metrics", "cache"});
  const ComposeService& db = *f.service("db");
  CHECK(db.container_name == "shop-db");                      // from x-db
  CHECK(db.networks == std::vector<std::string>{"backend"});  // from x-common, through x-db
  CHECK(db.line == 15);
  CHECK(f.service("app-metrics")->network_mode == "service:app");
  CHECK(f.service("cache")->networks == std::vector<std::string>{"backend"});
  CHECK(f.service("cache")->aliases == std::vector<std::string>{"redis"});
  CHECK(f.networks == std::vector<std::string>{"backend"});

  const ComposeFile third = load_compose_file(kThirdParty);
  CHECK(third.version == "3.8");
  CHECK(third.service_names() ==
        std::vector<std::string>{"redis-primary", "redis-replica-eu", "redis-replica-ap"});
  CHECK(load_compose_file(kFixtures + "scaled.yml").services[0].replicas == 3);
}

TEST_CASE("a file that is not a compose file is refused with where") {
  auto message = [](const std::string& text) {
    try {
      read_compose_file(text, "their.yml");
    } catch (const OverrideError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(message("services:\n  api:\n    image: [unclosed\n"),
             Catch::StartsWith("their.yml:4: not a compose file ("));
  CHECK(message("- a\n- b\n") ==
        "their.yml: not a compose file (no mapping at the top); it should start with services:");
  CHECK(message("version: '3'\nvolumes: {}\n") ==
        "their.yml: no services: section (a compose file of version 2 or later lists its "
        "services under services:)");
  CHECK(message("services:\n  api:\n    scale: many\n") ==
        "their.yml:3: service 'api': scale must be a whole number, got 'many'");
  try {
    load_compose_file(kFixtures + "missing.yml");
    FAIL("read a file that is not there");
  } catch (const OverrideError& e) {
    CHECK_THAT(e.what(),
               Catch::EndsWith("missing.yml: cannot read the compose file; check the path"));
  }
}

TEST_CASE("--region SERVICE=REGION[:HOST]") {
  const Placement p = parse_placement("redis-primary=us-east-1:db");
  CHECK(p.service == "redis-primary");
  CHECK(p.region == "us-east-1");
  CHECK(p.host == "db");
  CHECK(parse_placement("cache=eu-west-1").host == "cache");  // the service's name
  CHECK(refusal("cache") == "--region takes SERVICE=REGION or SERVICE=REGION:HOST, got 'cache'");
  CHECK(refusal("redis-primary=us-east-1") ==
        "--region redis-primary=us-east-1: host 'redis-primary' must be 1 to 10 lowercase letters "
        "or digits (a host of the experiment's hosts); name it: --region "
        "redis-primary=us-east-1:db");
  CHECK(refusal("db=US_East:db") ==
        "--region db=US_East:db: region name 'US_East' must be lowercase letters, digits and "
        "dashes, as in the experiment's [[region]] name");
  CHECK(refusal("edge=us-east-1:gateway") ==
        "--region edge=us-east-1:gateway: host 'gateway' is the region's gateway, which the "
        "override adds; name the service's host otherwise (e.g. :db)");
}

TEST_CASE("what cannot be placed is refused: one line, the service and the fix") {
  const ComposeFile third = load_compose_file(kThirdParty);
  const std::string path = third.path;
  CHECK(refusal(third, placed({"redis-primary=us-east-1:db", "redis-replica-eu=eu-west-1:db"})) ==
        path +
            ":24: service 'redis-replica-ap' has no region; place it: --region "
            "redis-replica-ap=REGION:HOST");
  CHECK(refusal(third, placed({"redis-primary=us-east-1:db", "redis-replica-e=eu-west-1:db"})) ==
        path +
            " has no service 'redis-replica-e'; did you mean 'redis-replica-eu'? (its "
            "services: redis-primary, redis-replica-eu and redis-replica-ap)");
  CHECK(refusal(third, placed({"redis-primary=us-east-1:db", "redis-primary=eu-west-1:db"})) ==
        "service 'redis-primary' is placed twice; give it one --region");
  CHECK(refusal(third, placed({"redis-primary=us-east-1:db", "redis-replica-eu=us-east-1:db",
                               "redis-replica-ap=ap-south-1:db"})) ==
        "services 'redis-primary' and 'redis-replica-eu' are both host 'db' of region 'us-east-1', "
        "and a host is one container; give one another host (:HOST)");
  CHECK(refusal(third, OverrideOptions{}) ==
        path +
            ": no service placed; give each one a region: --region redis-primary=us-east-1:db ...");

  const ComposeFile host = load_compose_file(kFixtures + "host-network.yml");
  CHECK(refusal(host, placed({"api=us-east-1:api", "proxy=us-east-1:proxy"})) ==
        host.path +
            ":4: service 'proxy' has network_mode: host, the machine's own network, which "
            "no region can hold; drop network_mode from it (docker gives it a network of "
            "its own)");
  const ComposeFile scaled = load_compose_file(kFixtures + "scaled.yml");
  CHECK(refusal(scaled, placed({"worker=us-east-1:worker"})) ==
        scaled.path +
            ":3: service 'worker' runs 3 containers, and a region's host is one "
            "container; give each replica a service of its own, or run it with scale 1");
  const ComposeFile shop = load_compose_file(kFixtures + "webshop.yml");
  CHECK(refusal(shop, placed({"db=us-east-1:db", "app=us-east-1:app", "cache=us-east-1:cache",
                              "app-metrics=eu-west-1:app"})) ==
        "service 'app-metrics' has network_mode: service:app, so it is where that service is; "
        "drop --region app-metrics");
  CHECK(
      refusal(read_compose_file("services:\n  faultline-gateway-us-east-1: {image: a}\n", "f.yml"),
              placed({"faultline-gateway-us-east-1=us-east-1:db"})) ==
      "f.yml:2: service 'faultline-gateway-us-east-1' has the name of a service the override "
      "adds; rename it");
  CHECK(refusal(read_compose_file("services:\n  a: {image: a}\n  b:\n    network_mode: none\n",
                                  "f.yml"),
                placed({"a=us-east-1:db", "b=us-east-1:b"})) ==
        "f.yml:3: service 'b' has network_mode: none, so no region can reach it; drop network_mode "
        "from it, or leave it out of the stack faultline runs");
  CHECK(refusal(
            read_compose_file(
                "services:\n  a:\n    networks: [shared]\nnetworks:\n  shared: {external: true}\n",
                "f.yml"),
            placed({"a=us-east-1:db"})) ==
        "f.yml:2: service 'a' joins external network 'shared', which the override cannot make "
        "internal (others share it), so traffic could go around the regions; leave it out of a "
        "for the runs");
  OverrideOptions far = kRedis;
  far.subnet_offset = 251;
  CHECK(refusal(third, far) == "--subnet-offset must be 0 to 250, got 251");
  std::string six = "services:\n";
  OverrideOptions six_regions;
  six_regions.subnet_offset = 250;
  for (int i = 1; i <= 6; ++i) {
    six += "  s" + std::to_string(i) + ": {image: a}\n";
    six_regions.placements.push_back({"s" + std::to_string(i), "r" + std::to_string(i), "db"});
  }
  CHECK(refusal(read_compose_file(six, "six.yml"), six_regions) ==
        "too many regions for --subnet-offset 250: region networks end at 198.18.255.0/24");
  six_regions.placements.pop_back();
  six_regions.placements.push_back({"s6", "r5", "app"});
  CHECK(plan_override(read_compose_file(six, "six.yml"), six_regions).regions.back().subnet ==
        "198.18.255.0/24");
}

TEST_CASE("the plan: a network per region, its default gateway held by the region's gateway") {
  OverrideOptions o = kRedis;
  o.subnet_offset = 40;
  const OverridePlan plan = plan_override(load_compose_file(kThirdParty), o);
  CHECK(plan.wan_subnet == "198.19.40.0/24");
  REQUIRE(plan.regions.size() == 3);
  const PlacedRegion& eu = plan.regions[1];
  CHECK(eu.name == "eu-west-1");
  CHECK(eu.network == "faultline-eu-west-1");
  CHECK(eu.subnet == "198.18.42.0/24");
  CHECK(eu.gateway_lan == "198.18.42.1");
  CHECK(eu.gateway_wan == "198.19.40.2");
  CHECK(eu.default_gateway == "198.18.42.254");
  CHECK(eu.client_ipv4 == "198.18.42.200");
  REQUIRE(plan.services.size() == 3);
  CHECK(plan.services[1].service == "redis-replica-eu");
  CHECK(plan.services[1].ipv4 == "198.18.42.10");

  // A sidecar goes where its service goes; a service placed as the client
  // host takes the place of the client the override would add.
  const OverridePlan shop =
      plan_override(load_compose_file(kFixtures + "webshop.yml"),
                    placed({"db=us-east-1:db", "app=eu-west-1:app", "cache=eu-west-1:client"}));
  REQUIRE(shop.services.size() == 4);
  CHECK(shop.services[3].service == "app-metrics");
  CHECK(shop.services[3].follows == "app");
  CHECK(shop.services[3].region == "eu-west-1");
  CHECK(shop.services[3].ipv4.empty());
  CHECK(shop.services[2].ipv4 == "198.18.2.11");  // cache: the second host of eu-west-1
  CHECK(shop.regions[0].client_ipv4 == "198.18.1.200");
  CHECK(shop.regions[1].client_ipv4.empty());
  // us-east-1 has db and a client; eu-west-1 app and cache as client: an
  // experiment can name only the client.
  CHECK(common_hosts(shop) == std::vector<std::string>{"client"});
  CHECK(common_hosts(plan) == std::vector<std::string>{"db", "client"});
}

TEST_CASE("the override as docker-compose reads it") {
  const ComposeFile file = load_compose_file(kThirdParty);
  const OverridePlan plan = plan_override(file, kRedis);
  const YAML::Node o = YAML::Load(render_override(file, plan, kRedis));
  CHECK(o["version"].as<std::string>() ==
        "3.8");  // docker-compose wants the files' versions to agree

  const YAML::Node replica = o["services"]["redis-replica-eu"];
  CHECK(replica["labels"]["faultline.region"].as<std::string>() == "eu-west-1");
  CHECK(replica["labels"]["faultline.host"].as<std::string>() == "db");
  CHECK(replica["networks"]["faultline-eu-west-1"]["ipv4_address"].as<std::string>() ==
        "198.18.2.10");
  CHECK(replica["extra_hosts"].as<std::vector<std::string>>() ==
        std::vector<std::string>{"redis-primary:198.18.1.10", "redis-replica-eu:198.18.2.10",
                                 "redis-replica-ap:198.18.3.10"});
  // Nothing the user's file decides is overridden.
  CHECK(!replica["image"].IsDefined());
  CHECK(!replica["command"].IsDefined());

  const YAML::Node gateway = o["services"]["faultline-gateway-eu-west-1"];
  CHECK(gateway["image"].as<std::string>() == kDefaultNetinitImage);
  CHECK(gateway["labels"]["faultline.host"].as<std::string>() == "gateway");
  CHECK(gateway["networks"]["faultline-wan"]["ipv4_address"].as<std::string>() == "198.19.0.2");
  CHECK(gateway["networks"]["faultline-eu-west-1"]["ipv4_address"].as<std::string>() ==
        "198.18.2.1");
  CHECK(gateway["command"].as<std::vector<std::string>>() ==
        std::vector<std::string>{"faultline-netinit", "--address", "198.18.2.254/24=198.18.2.1",
                                 "--route", "198.18.1.0/24=198.19.0.1", "--route",
                                 "198.18.3.0/24=198.19.0.3"});
  CHECK(gateway["sysctls"]["net.ipv4.ip_forward"].as<int>() == 1);
  const YAML::Node client = o["services"]["faultline-client-eu-west-1"];
  CHECK(client["labels"]["faultline.host"].as<std::string>() == "client");
  CHECK(client["command"].as<std::vector<std::string>>() ==
        std::vector<std::string>{"faultline-netinit"});

  const YAML::Node lan = o["networks"]["faultline-eu-west-1"];
  CHECK(lan["driver_opts"]["com.docker.network.bridge.inhibit_ipv4"].as<std::string>() == "true");
  CHECK(lan["ipam"]["config"][0]["subnet"].as<std::string>() == "198.18.2.0/24");
  CHECK(lan["ipam"]["config"][0]["gateway"].as<std::string>() == "198.18.2.254");
  CHECK(o["networks"]["faultline-wan"]["ipam"]["config"][0]["gateway"].as<std::string>() ==
        "198.19.0.254");
  CHECK(!o["networks"]["faultline-wan"]["internal"].IsDefined());

  // A sidecar gets nothing: network_mode forbids networks and extra_hosts.
  const ComposeFile shop = load_compose_file(kFixtures + "webshop.yml");
  const OverrideOptions shop_options =
      placed({"db=us-east-1:db", "app=eu-west-1:app", "cache=eu-west-1:cache"});
  const YAML::Node s =
      YAML::Load(render_override(shop, plan_override(shop, shop_options), shop_options));
  CHECK(s["version"].as<std::string>() == "2.4");
  CHECK(!s["services"]["app-metrics"].IsDefined());
  // Every name the stack's services use for each other: service and container names.
  CHECK(s["services"]["app"]["extra_hosts"].as<std::vector<std::string>>() ==
        std::vector<std::string>{"db:198.18.1.10", "shop-db:198.18.1.10", "app:198.18.2.10",
                                 "cache:198.18.2.11", "redis:198.18.2.11",
                                 "app-metrics:198.18.2.10"});
  // The file's own network stays, with no default route: the region's is the way out.
  CHECK(s["networks"]["backend"]["internal"].as<bool>());
  CHECK(read_compose_file(
            "services:\n  a:\n    networks: [shared]\nnetworks:\n  shared: {external: true}\n",
            "f.yml")
            .external_networks == std::vector<std::string>{"shared"});
}

TEST_CASE("the containers the override makes are a plan the compose provider accepts") {
  const ComposeFile file = load_compose_file(kThirdParty);
  const OverridePlan plan = plan_override(file, kRedis);
  std::vector<Container> containers;
  pid_t pid = 1000;
  auto add = [&](const std::string& name, const std::string& region, const std::string& host,
                 std::vector<Endpoint> endpoints) {
    Container c;
    c.id = name;
    c.name = "thirdparty_" + name + "_1";
    c.labels = {{kRegionLabel, region}, {kHostLabel, host}, {kProjectLabel, "thirdparty"}};
    c.running = true;
    c.pid = ++pid;
    c.endpoints = std::move(endpoints);
    containers.push_back(c);
  };
  for (const auto& r : plan.regions) {
    add(gateway_service(r.name), r.name, kGatewayHost,
        {{"thirdparty_faultline-wan", r.gateway_wan, 24, "", 0},
         {"thirdparty_" + r.network, r.gateway_lan, 24, "", 0}});
    add(client_service(r.name), r.name, "client",
        {{"thirdparty_" + r.network, r.client_ipv4, 24, "", 0}});
  }
  for (const auto& s : plan.services)
    add(s.service, s.region, s.host, {{"thirdparty_faultline-" + s.region, s.ipv4, 24, "", 0}});

  const TopologyPlan t =
      plan_from_containers({{"us-east-1", "us"}, {"eu-west-1", "eu"}, {"ap-south-1", "ap"}},
                           {"db", "client"}, containers, "");
  REQUIRE(t.regions.size() == 3);
  CHECK(t.regions[1].lan_v4 == "198.18.2.0/24");
  CHECK(t.regions[1].wan_v4 == "198.19.0.2");
  CHECK(t.regions[1].lan_v6.empty());
  CHECK(t.regions[1].host("db").ipv4 == "198.18.2.10");
  CHECK(t.regions[1].host("client").ipv4 == "198.18.2.200");
}
