#include "controllers/checkers/invariant_registry.hpp"

#include <catch2/catch.hpp>
#include <set>

#include "controllers/checkers/judge.hpp"
#include "controllers/experiment/parse.hpp"

using namespace faultline;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

const char* kWithInvariant = R"(
[experiment]
name = "demo"
duration = "20s"

[[region]]
name = "us-east-1"
geo = "us"

[[service]]
name = "app"
host = "app"
command = ["faultline-kv"]

[workload]
data = "customers"

[[invariant]]
kind = "KIND"
)";

std::string first_error(const std::string& kind, const std::string& extra = "") {
  std::string text = kWithInvariant;
  text.replace(text.find("KIND"), 4, kind);
  text += extra;
  try {
    parse_experiment(text, "x.toml", any_program);
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

}  // namespace

TEST_CASE("every registered invariant has a name, a summary, a check and described keys",
          "[invariants]") {
  REQUIRE(invariant_kinds().size() >= 8);
  std::set<std::string> names;
  for (const InvariantKind* kind : invariant_kinds()) {
    INFO("kind " << kind->name);
    CHECK_FALSE(kind->name.empty());
    CHECK(names.insert(kind->name).second);
    CHECK_FALSE(kind->summary.empty());
    CHECK(kind->check != nullptr);
    CHECK(find_invariant_kind(kind->name) == kind);
    // A kind that takes keys reads them; one that takes none has nothing to read.
    CHECK((kind->read != nullptr) == !kind->keys.empty());
    for (const auto& key : kind->keys) check_described(key);
  }
  CHECK(find_invariant_kind("convergance") == nullptr);
  CHECK(invariant_kind_names() ==
        std::vector<std::string>{"convergence", "no-lost-writes", "read-your-writes",
                                 "monotonic-reads", "residency", "failover-time", "availability", "linearizable", "set",
                                 "serializable", "snapshot-isolation", "strict-serializable", "latency", "rpo", "recovery",
                                 "cell-isolation"});
  CHECK(invariant_keys() == std::vector<std::string>{"kind", "within", "probe", "min", "budget", "memory", "stale_reads", "p50", "p75", "p90", "p95", "p99", "p999", "during", "untouched", "step", "max_jump", "ramp", "max_errors", "tolerance"});
}

TEST_CASE("defaults in the key table are the defaults the reader applies", "[invariants]") {
  const InvariantSpec defaults;
  CHECK(find_invariant_kind("convergence")->find_key("within")->default_value == "10s");
  CHECK(find_invariant_kind("availability")->find_key("min")->default_value == "0.99");
  CHECK(defaults.min_fraction == 0.99);
  CHECK(find_invariant_kind("failover-time")->find_key("within")->required);
  const KeySpec* probe = find_invariant_kind("residency")->find_key("probe");
  REQUIRE(probe != nullptr);
  REQUIRE(probe->fields.size() == 5);
  CHECK(probe->fields[0].name == "host");
  CHECK(probe->fields[0].default_value == "\"db\"");
  CHECK(probe->fields[1].default_value == "5432");
}

TEST_CASE("an unknown invariant kind gets the did-you-mean message listing every registered kind",
          "[invariants]") {
  std::string all;
  for (const auto& name : invariant_kind_names()) all += (all.empty() ? "" : ", ") + name;
  CHECK(first_error("convergance") ==
        "x.toml:19:8: unknown invariant 'convergance'; did you mean 'convergence'? (one of: " + all +
            ")");
  CHECK(first_error("sequential") ==
        "x.toml:19:8: unknown invariant 'sequential' (one of: " + all + ")");
}

TEST_CASE("each invariant reads its own keys and refuses the keys of other kinds", "[invariants]") {
  CHECK(first_error("no-lost-writes", "within = \"3s\"\n") ==
        "x.toml:20:10: 'within' applies to convergence, failover-time and rpo only");
  CHECK(first_error("convergence", "min = 0.5\n") == "x.toml:20:7: 'min' applies to availability only");
  CHECK(first_error("availability", "probe = { host = \"db\" }\n") ==
        "x.toml:20:9: 'probe' applies to residency only");
  CHECK(first_error("availability", "mni = 0.5\n") ==
        "x.toml:20:1: unknown key 'mni' in [[invariant]]; did you mean 'min'?");
  CHECK(first_error("availability", "min = 2\n") == "x.toml:20:7: 'min' must be between 0 and 1, not 2");
  CHECK(first_error("failover-time") ==
        "x.toml:18:1: failover-time needs a bound: 'within', such as \"10s\"");
  CHECK(first_error("residency", "probe = { host = \"dbx\" }\n") ==
        "x.toml:20:18: unknown host 'dbx'");

  std::string text = kWithInvariant;
  text.replace(text.find("KIND"), 4, "residency");
  text += "probe = { host = \"app\", port = 6432, user = \"u\" }\n";
  text += "[[invariant]]\nkind = \"availability\"\nmin = 0.9\n";
  Experiment e = parse_experiment(text, "x.toml", any_program);
  const InvariantSpec* residency = e.find_invariant("residency");
  REQUIRE(residency != nullptr);
  CHECK(residency->probe_host == "app");
  CHECK(residency->probe_port == 6432);
  CHECK(residency->probe_user == "u");
  CHECK(residency->probe_database == "postgres");
  REQUIRE(e.find_invariant("availability") != nullptr);
  CHECK(e.find_invariant("availability")->min_fraction == 0.9);
  CHECK(e.find_invariant("convergence") == nullptr);
}

TEST_CASE("judge asks each invariant's registered kind, in the experiment's order", "[invariants]") {
  Experiment e;
  for (auto it = invariant_kinds().rbegin(); it != invariant_kinds().rend(); ++it) {
    InvariantSpec spec;
    spec.kind = (*it)->name;
    e.invariants.push_back(spec);
  }
  InvariantSpec unregistered;
  unregistered.kind = "sequential";
  e.invariants.push_back(unregistered);
  const auto results = judge_invariants(e, CompactHistory::from({}));
  REQUIRE(results.size() == e.invariants.size());
  for (std::size_t i = 0; i < results.size(); ++i) CHECK(results[i].invariant == e.invariants[i].kind);
  CHECK(results.back().validity == Validity::unknown);
  CHECK(results.back().summary == "no invariant kind 'sequential' is registered");
}
