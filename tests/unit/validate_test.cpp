#include "controllers/experiment/validate.hpp"

#include <catch2/catch.hpp>

#include "controllers/experiment/parse.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

std::vector<std::string> errors_of(const std::string& text) {
  std::vector<std::string> out;
  try {
    parse_experiment(text, "x.toml", any_program);
  } catch (const ExperimentError& e) {
    for (const auto& d : e.diagnostics()) out.push_back(d.to_string());
  }
  return out;
}

const char* kTwoHosts = R"(
[experiment]
name = "demo"
duration = "20s"
hosts = ["app", "db"]

[[region]]
name = "us-east-1"
geo = "us"

[[service]]
name = "app"
host = "app"
command = ["faultline-kv"]
)";

}  // namespace

TEST_CASE("services without a client host are refused with the fix", "[validate]") {
  const std::string error =
      "x.toml:5:9: 'hosts' lacks \"client\": each region's client host runs the workload's "
      "clients, its final reads and the residency probe; add \"client\" to 'hosts'";
  CHECK(errors_of(std::string(kTwoHosts) + "[workload]\nrate = 10\n") ==
        std::vector<std::string>{error});
  // No [workload]: the run still drives the default one against the services.
  CHECK(errors_of(kTwoHosts) == std::vector<std::string>{error});

  std::string with_client = kTwoHosts;
  with_client.replace(with_client.find("\"db\"]"), 5, "\"db\", \"client\"]");
  CHECK(errors_of(with_client).empty());
  // Without services nothing runs in the client host.
  CHECK(errors_of(with_client.substr(0, with_client.find("[[service]]"))).empty());
  std::string no_services = kTwoHosts;
  CHECK(errors_of(no_services.substr(0, no_services.find("[[service]]"))).empty());
}

TEST_CASE("services without a [workload] need the default target service 'app'", "[validate]") {
  std::string text = kTwoHosts;
  text.replace(text.find("hosts = [\"app\", \"db\"]\n"), 22, "");
  text.replace(text.find("name = \"app\""), 12, "name = \"api\"");
  CHECK(errors_of(text) ==
        std::vector<std::string>{"x.toml:10:1: the workload talks to service 'app' by default, and "
                                 "there is none: name one in [workload] service = \"...\""});
  CHECK(errors_of(text + "[workload]\nservice = \"api\"\n").empty());
  CHECK(errors_of(text + "[workload]\nservice = \"apx\"\n") ==
        std::vector<std::string>{"x.toml:14:1: workload targets unknown service 'apx'"});
}

TEST_CASE("cross-section checks work on experiment values alone", "[validate]") {
  Experiment e;
  e.path = "built.toml";
  e.regions = {{.name = "a", .geo = "g"}, {.name = "b", .geo = "g"}};
  FaultSpec delay;
  delay.kind = "delay";
  delay.at = 1s;
  delay.length = 5s;
  delay.where = {10, 1};
  FaultSpec loss = delay;
  loss.kind = "loss";
  loss.at = 3s;
  loss.where = {20, 1};
  e.faults = {delay, loss};
  auto found = validate_experiment(e);
  REQUIRE(found.size() == 1);
  CHECK(found[0].to_string().rfind("built.toml:20:1: loss fault overlaps the delay fault at line 10 on a->b", 0) == 0);

  e.faults[1].at = 6s;  // after the delay ends
  CHECK(validate_experiment(e).empty());

  e.engine = "nfqueue";
  e.faults[1].kind = "corrupt";
  found = validate_experiment(e);
  REQUIRE(found.size() == 1);
  CHECK(found[0].message == "corrupt needs sch_netem: use engine = \"netem\" or \"auto\"");

  e.faults.clear();
  InvariantSpec residency;
  residency.kind = "residency";
  residency.where = {30, 1};
  e.invariants = {residency};
  found = validate_experiment(e);
  REQUIRE(found.size() == 1);
  CHECK(found[0].to_string() ==
        "built.toml:30:1: residency is judged per customer: set data = \"customers\" in [workload]");
  e.workload.data = WorkloadData::customers;
  CHECK(validate_experiment(e).empty());
}

TEST_CASE("[workload] kind = \"none\": services without a workload, and no invariant to judge",
          "[validate]") {
  // No client host and no 'app' needed: nothing runs in the client host.
  std::string text = kTwoHosts;
  text.replace(text.find("name = \"app\""), 12, "name = \"api\"");
  CHECK(errors_of(text + "[workload]\nkind = \"none\"\n").empty());
  Experiment e = parse_experiment(text + "[workload]\nkind = \"none\"\n", "x.toml", any_program);
  CHECK_FALSE(e.drives_workload());

  CHECK(errors_of(text + "[workload]\nkind = \"none\"\n[[invariant]]\nkind = \"availability\"\n") ==
        std::vector<std::string>{
            "x.toml:17:1: availability judges the workload's operations, and [workload] kind = "
            "\"none\" records none: drive a workload or remove the invariant"});
  CHECK(errors_of(text + "[workload]\nkind = \"none\"\nclients_per_region = 3\n") ==
        std::vector<std::string>{
            "x.toml:17:22: 'clients_per_region' shapes a workload, and kind = \"none\" drives none"});
  CHECK(errors_of(text + "[workload]\nkind = \"pg\"\n").front() ==
        "x.toml:16:8: unknown workload kind 'pg'; the kinds are 'kv', 'register', 'set', 'list-append' and 'none'");
}

TEST_CASE("workload and client kinds are checked against each other and the invariants",
          "[validate]") {
  const std::string head = R"([experiment]
name = "w"
duration = "5s"
[[region]]
name = "us-east-1"
geo = "us"
[[service]]
name = "db"
host = "db"
command = ["true"]
)";
  auto messages = [&](const std::string& rest) {
    try {
      parse_experiment(head + rest, "x.toml",
                       [](const std::string& p, const std::string&) -> std::optional<std::string> {
                         return "/usr/bin/" + p;
                       });
      return std::string();
    } catch (const ExperimentError& err) {
      std::string all;
      for (const auto& d : err.diagnostics()) all += d.message + "\n";
      return all;
    }
  };
  // The reference store's HTTP client carries only kv.
  CHECK_THAT(messages("[workload]\nkind = \"set\"\nservice = \"db\"\n"),
             Catch::Contains("client \"kv-http\" does not carry the set workload"));
  // An exec client carries every kind.
  CHECK(messages("[workload]\nkind = \"list-append\"\nclient = \"exec\"\nprogram = \"c\"\n"
                 "max_txn_length = 3\n")
            .empty());
  CHECK_THAT(messages("[workload]\nkind = \"register\"\nclient = \"exec\"\nprogram = \"c\"\n"
                      "max_txn_length = 3\n"),
             Catch::Contains("'max_txn_length' shapes list-append transactions"));
  CHECK(messages("[workload]\nkind = \"list-append\"\nclient = \"exec\"\nprogram = \"c\"\n"
                 "max_writes_per_key = 0\n")
            .empty());
  CHECK_THAT(messages("[workload]\nkind = \"kv\"\nclient = \"exec\"\nprogram = \"c\"\n"
                      "max_writes_per_key = 3\n"),
             Catch::Contains("'max_writes_per_key' retires list-append keys"));
  // kv invariants refuse histories they cannot judge.
  CHECK_THAT(messages("[workload]\nkind = \"set\"\nclient = \"exec\"\nprogram = \"c\"\n"
                      "[[invariant]]\nkind = \"no-lost-writes\"\n"),
             Catch::Contains("no-lost-writes judges 'kv' and 'register' histories, and this "
                             "workload is \"set\""));
  // Another client kind's keys are refused by name.
  CHECK_THAT(messages("[workload]\nkind = \"kv\"\nservice = \"db\"\nprogram = \"c\"\n"),
             Catch::Contains("'program' is for client = \"exec\""));
  CHECK_THAT(messages("[workload]\nkind = \"queue\"\n"),
             Catch::Contains("unknown workload kind 'queue'; the kinds are 'kv', 'register', "
                             "'set', 'list-append' and 'none'"));
}
