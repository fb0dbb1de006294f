#include "controllers/services/command.hpp"

#include <catch2/catch.hpp>

using namespace faultline;

TEST_CASE("command placeholders are filled per region inside single arguments", "[command]") {
  auto plan = plan_topology("t", {{"us-east-1", "us"}, {"eu-west-1", "eu"}, {"ap-south-1", "ap"}},
                            {"app", "db"});
  auto argv =
      expand_command({"kv", "--region={region}", "--listen", "{addr}", "--peers", "{peers}", "--v6",
                      "[{addr6}]:80", "--geo", "{geo}", "--log", "{results}/x.log", "{unknown}"},
                     plan, "eu-west-1", "app", "/tmp/r");
  CHECK(argv == std::vector<std::string>{"kv", "--region=eu-west-1", "--listen", "198.18.2.10",
                                         "--peers", "198.18.1.10,198.18.3.10", "--v6",
                                         "[2001:2:0:2::a]:80", "--geo", "eu", "--log",
                                         "/tmp/r/x.log", "{unknown}"});
}

TEST_CASE("a value with shell syntax stays one literal argument", "[command]") {
  auto plan = plan_topology("t", {{"a", "g"}}, {"app"});
  auto argv = expand_command({"prog", "$(rm -rf /); {region}"}, plan, "a", "app", "/r");
  REQUIRE(argv.size() == 2);
  CHECK(argv[1] == "$(rm -rf /); a");
}

TEST_CASE("commands name other hosts of the region, the topology file and a workdir", "[command]") {
  auto plan = faultline::plan_topology("r1", {{"a", "us"}, {"b", "eu"}}, {"app", "db"});
  auto argv = faultline::expand_command(
      {"kv", "--db", "host={addr:db} port=5432", "{topology}", "{workdir}/data", "{addr:nope}"},
      plan, "b", "app", "/r", "app");
  CHECK(argv[2] == "host=" + plan.region("b").host("db").ipv4 + " port=5432");
  CHECK(argv[3] == "/r/topology.json");
  CHECK(argv[4] == "/r/app-b/data");
  CHECK(argv[5] == "{addr:nope}");  // unknown: left as written (validation rejects it earlier)
}
