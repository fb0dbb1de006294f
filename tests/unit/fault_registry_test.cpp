#include "controllers/faults/fault_registry.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <set>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/fault_plan.hpp"

using namespace faultline;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

// The [[fault]] table starts on line 19, its kind on line 20; extra keys from line 22.
const char* kWithFault = R"(
[experiment]
name = "demo"
duration = "60s"

[[region]]
name = "us-east-1"
geo = "us"

[[region]]
name = "eu-west-1"
geo = "eu"

[[service]]
name = "app"
host = "app"
command = ["faultline-kv"]

[[fault]]
kind = "KIND"
at = "1s"
)";

std::string with_fault(const std::string& kind, const std::string& extra) {
  std::string text = kWithFault;
  text.replace(text.find("KIND"), 4, kind);
  return text + extra;
}

std::string first_error(const std::string& kind, const std::string& extra = "") {
  try {
    parse_experiment(with_fault(kind, extra), "x.toml", any_program);
  } catch (const ExperimentError& e) {
    return e.diagnostics().front().to_string();
  }
  return "(no error)";
}

void check_described(const KeySpec& key) {
  INFO("key " << key.name);
  CHECK_FALSE(key.name.empty());
  CHECK_FALSE(key.description.empty());
  CHECK(key.description.find('\n') == std::string::npos);
  CHECK(std::string(key_type_name(key.type)) != "?");
  CHECK((key.type == KeyType::table) == !key.fields.empty());
  if (key.required) CHECK(key.default_value.empty());
  for (const auto& field : key.fields) check_described(field);
}

// The keys each kind needs to be read without errors, after kind and at.
const std::map<std::string, std::string> kMinimalFault{
    {"partition", "for = \"5s\"\ngroups = [[\"us-east-1\"], [\"eu-west-1\"]]\n"},
    {"isolate", "for = \"5s\"\nregion = \"us-east-1\"\n"},
    {"kill", "for = \"5s\"\nregion = \"us-east-1\"\nservice = \"app\"\n"},
    {"pause", "for = \"5s\"\nregion = \"us-east-1\"\nservice = \"app\"\n"},
    {"restart", "region = \"us-east-1\"\nservice = \"app\"\n"},
    {"delay", "for = \"5s\"\ndelay = \"100ms\"\n"},
    {"loss", "for = \"5s\"\npercent = 5\n"},
    {"duplicate", "for = \"5s\"\npercent = 5\n"},
    {"reorder", "for = \"5s\"\npercent = 5\ndelay = \"10ms\"\n"},
    {"corrupt", "for = \"5s\"\npercent = 5\n"},
    {"bandwidth", "for = \"5s\"\nrate = \"1mbit\"\n"},
    {"slow-db", "for = \"5s\"\nregion = \"eu-west-1\"\ndelay = \"200ms\"\n"},
    {"clock-skew", "for = \"5s\"\nregion = \"eu-west-1\"\noffset = \"-10s\"\n"},
    {"command", "region = \"us-east-1\"\nhost = \"db\"\nrun = [\"promote.sh\"]\n"},
};

}  // namespace

TEST_CASE(
    "every registered fault kind has a name, a summary, a reader, a planner and described keys",
    "[faults]") {
  REQUIRE(fault_kinds().size() == 14);
  std::set<std::string> names;
  for (const FaultKind* kind : fault_kinds()) {
    INFO("kind " << kind->name);
    CHECK_FALSE(kind->name.empty());
    CHECK(names.insert(kind->name).second);
    CHECK_FALSE(kind->summary.empty());
    CHECK(kind->summary.find('\n') == std::string::npos);
    CHECK(kind->read != nullptr);
    CHECK(kind->plan != nullptr);
    CHECK(kind->describe != nullptr);
    CHECK_FALSE(kind->keys.empty());
    CHECK(find_fault_kind(kind->name) == kind);
    for (const auto& key : kind->keys) check_described(key);
  }
  for (const auto& key : fault_common_keys()) check_described(key);
  CHECK(find_fault_kind("partiton") == nullptr);
  CHECK(fault_kind_names() == std::vector<std::string>{"partition", "isolate", "kill", "pause",
                                                       "restart", "delay", "loss", "duplicate",
                                                       "reorder", "corrupt", "bandwidth", "slow-db",
                                                       "clock-skew", "command"});
  const std::vector<std::string> keys = fault_keys();
  CHECK(std::set<std::string>(keys.begin(), keys.end()) ==
        std::set<std::string>{
            "kind",        "at",           "for",     "groups", "direction", "mode",  "region",
            "service",     "between",      "port",    "ports",  "protocol",  "delay", "jitter",
            "correlation", "distribution", "percent", "rate",   "host",      "loss",  "offset",
            "drift",       "run",          "at_end",  "user",   "timeout"});
  CHECK(keys.size() == 26);
  FaultSpec unregistered;
  unregistered.kind = "latency";
  CHECK_THROWS_AS(kind_of(unregistered), std::invalid_argument);
}

TEST_CASE("fault kinds answer what the rest of faultline asks about them", "[faults]") {
  std::set<std::string> traffic, process, clock, network, command, not_lasting, for_optional,
      netem_only, own_services;
  for (const FaultKind* kind : fault_kinds()) {
    switch (kind->family) {
      case FaultFamily::network:
        network.insert(kind->name);
        break;
      case FaultFamily::traffic:
        traffic.insert(kind->name);
        break;
      case FaultFamily::process:
        process.insert(kind->name);
        break;
      case FaultFamily::clock:
        clock.insert(kind->name);
        break;
      case FaultFamily::command:
        command.insert(kind->name);
        break;
    }
    if (!kind->lasting) not_lasting.insert(kind->name);
    if (kind->for_optional) for_optional.insert(kind->name);
    if (kind->netem_only) netem_only.insert(kind->name);
    if (kind->needs_own_services) own_services.insert(kind->name);
  }
  CHECK(network == std::set<std::string>{"partition", "isolate"});
  CHECK(traffic == std::set<std::string>{"delay", "loss", "duplicate", "reorder", "corrupt",
                                         "bandwidth", "slow-db"});
  CHECK(process == std::set<std::string>{"kill", "pause", "restart"});
  CHECK(clock == std::set<std::string>{"clock-skew"});
  CHECK(command == std::set<std::string>{"command"});
  CHECK(not_lasting == std::set<std::string>{"restart"});
  // A command lasts only when given `for` (it has something to run at the end).
  CHECK(for_optional == std::set<std::string>{"command"});
  CHECK(netem_only == std::set<std::string>{"duplicate", "corrupt"});
  CHECK(own_services == std::set<std::string>{"clock-skew"});
  CHECK(find_fault_kind("slow-db")->shapes == ShapedPath::host_egress);
  CHECK(find_fault_kind("delay")->shapes == ShapedPath::wan_links);

  FaultSpec cut;
  cut.kind = "partition";
  CHECK_FALSE(kind_of(cut).needs_nftables(cut));
  cut.ports = PortRange{5432, 5432};
  CHECK(kind_of(cut).needs_nftables(cut));
  CHECK(find_fault_kind("delay")->needs_nftables == nullptr);
}

TEST_CASE("an unknown fault kind gets the did-you-mean message listing every registered kind",
          "[faults]") {
  std::string all;
  for (const auto& name : fault_kind_names()) all += (all.empty() ? "" : ", ") + name;
  CHECK(first_error("partiton") ==
        "x.toml:20:8: unknown fault kind 'partiton'; did you mean 'partition'? (one of: " + all +
            ")");
  CHECK(first_error("latency") ==
        "x.toml:20:8: unknown fault kind 'latency' (one of: " + all + ")");
}

TEST_CASE("each fault kind reads its own keys and refuses the keys of other kinds", "[faults]") {
  CHECK(first_error("kill", kMinimalFault.at("kill") + "groups = [[\"us-east-1\"]]\n") ==
        "x.toml:25:1: 'groups' does not apply to a kill fault (its keys: at, for, region, "
        "service)");
  CHECK(first_error("restart", "for = \"5s\"\nregion = \"us-east-1\"\nservice = \"app\"\n") ==
        "x.toml:22:1: a restart is instantaneous: remove 'for'");
  CHECK(first_error("slow-db", kMinimalFault.at("slow-db") + "correlation = 5\n") ==
        "x.toml:25:1: 'correlation' does not apply to a slow-db fault (its keys: at, for, region, "
        "host, port, delay, jitter, distribution, loss)");
  CHECK(first_error("loss", "for = \"5s\"\n") == "x.toml:19:1: a loss fault needs 'percent'");
  // Every kind's keys are listed in its table, in the order the message lists them.
  for (const FaultKind* kind : fault_kinds()) {
    INFO("kind " << kind->name);
    std::string listed = "at";
    if (kind->lasting) listed += ", for";
    for (const auto& key : kind->keys) listed += ", " + key.name;
    const std::string foreign = kind->find_key("drift") ? "rate = \"1mbit\"\n" : "drift = 0.1\n";
    const std::string error = first_error(kind->name, kMinimalFault.at(kind->name) + foreign);
    CHECK(error.find("(its keys: " + listed + ")") != std::string::npos);
  }
}

TEST_CASE("slow-db reads the port it slows, as its key table says", "[faults]") {
  Experiment e = parse_experiment(
      with_fault("slow-db", kMinimalFault.at("slow-db") + "port = 6432\n"), "x.toml", any_program);
  REQUIRE(e.faults.size() == 1);
  REQUIRE(e.faults[0].ports.has_value());
  CHECK(e.faults[0].ports->low == 6432);
  CHECK(describe_fault(e.faults[0]) == "slow-db eu-west-1/db port 6432");
}

TEST_CASE("each kind's planner and describer are reached through the plan", "[faults]") {
  for (const FaultKind* kind : fault_kinds()) {
    INFO("kind " << kind->name);
    Experiment e = parse_experiment(with_fault(kind->name, kMinimalFault.at(kind->name)), "x.toml",
                                    any_program);
    REQUIRE(e.faults.size() == 1);
    CHECK(e.faults[0].kind == kind->name);
    const TopologyPlan topology =
        plan_topology("t", {{"us-east-1", "us"}, {"eu-west-1", "eu"}}, e.hosts);
    const auto plans = plan_faults(e, topology);
    REQUIRE(plans.size() == 1);
    CHECK(plans[0].kind == kind->name);
    CHECK(plans[0].lasting == (kind->lasting && !kind->for_optional));
    CHECK(plans[0].lasting == fault_lasts(e.faults[0]));
    CHECK_FALSE(plans[0].steps.empty());
    CHECK(plans[0].what.rfind(kind->name + " ", 0) == 0);
    CHECK(plans[0].what == kind->describe(e.faults[0]));
  }
}
