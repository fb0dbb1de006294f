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
