#include "controllers/experiment/parse.hpp"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace faultline;
using namespace std::chrono_literals;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

const char* kValid = R"(
[experiment]
name = "demo"
duration = "20s"
seed = 3

[[region]]
name = "us-east-1"
geo = "us"

[[region]]
name = "eu-west-1"
geo = "eu"

[[service]]
name = "app"
host = "app"
command = ["faultline-kv", "--region", "{region}"]
health = { path = "/health", port = 8080 }

[workload]
rate = 50
keys = 4

[[fault]]
kind = "partition"
at = "5s"
for = "5s"
groups = [["us-east-1"], ["eu-west-1"]]
direction = "one-way"
mode = "prohibit"

[[fault]]
kind = "pause"
region = "eu-west-1"
service = "app"
at = "12s"
for = "1500ms"

[[invariant]]
kind = "convergence"
within = "3s"
)";

std::string first_error(const std::string& text) {
  try {
    parse_experiment(text, "x.toml", any_program);
  } catch (const ExperimentError& e) {
    return e.diagnostics().front().to_string();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a valid experiment parses into plain values", "[parse]") {
  Experiment e = parse_experiment(kValid, "dir/demo.toml", any_program);
  CHECK(e.name == "demo");
  CHECK(e.duration == 20s);
  CHECK(e.seed == 3);
  REQUIRE(e.regions.size() == 2);
  CHECK(e.regions[1].geo == "eu");
  REQUIRE(e.services.size() == 1);
  CHECK(e.services[0].program == "/usr/bin/faultline-kv");
  CHECK(e.services[0].health.port == 8080);
  CHECK(e.workload.rate == 50);
  CHECK(e.workload.keys == 4);
  REQUIRE(e.faults.size() == 2);
  CHECK(e.faults[0].one_way);
  CHECK(e.faults[0].prohibit);
  CHECK(e.faults[0].groups == std::vector<std::vector<std::string>>{{"us-east-1"}, {"eu-west-1"}});
  CHECK(e.faults[1].kind == "pause");
  CHECK(e.faults[1].length == 1500ms);
  CHECK(e.settle_bound() == 3s);
}

TEST_CASE("every problem names file line and column", "[parse]") {
  // Table-driven: an edit to the valid file, and the exact first error.
  struct Case {
    std::string from, to, error;
  };
  const std::vector<Case> cases{
      {"seed = 3", "seed = ",
       "x.toml:5:8: TOML syntax: Error while parsing key-value pair: expected value, saw '\\n'"},
      {"seed = 3", "seeed = 3",
       "x.toml:5:1: unknown key 'seeed' in [experiment]; did you mean 'seed'?"},
      {"seed = 3", "seed = \"three\"", "x.toml:5:8: 'seed' must be an integer"},
      {"duration = \"20s\"", "duration = \"-5s\"",
       "x.toml:4:12: 'duration' must not be negative, got \"-5s\""},
      {"duration = \"20s\"", "duration = \"soon\"",
       "x.toml:4:12: 'duration' = \"soon\" is not a duration; write a number with ms, s, m or h, "
       "such as \"10s\""},
      {"groups = [[\"us-east-1\"], [\"eu-west-1\"]]", "groups = [[\"us-east-1\"], [\"eu-wset-1\"]]",
       "x.toml:29:27: unknown region 'eu-wset-1'; did you mean 'eu-west-1'?"},
      {"kind = \"pause\"", "kind = \"paus\"",
       "x.toml:34:8: unknown fault kind 'paus'; did you mean 'pause'? (one of: partition, isolate, "
       "kill, pause, restart, delay, loss, duplicate, reorder, corrupt, bandwidth, slow-db, "
       "clock-skew, command)"},
      {"at = \"12s\"", "at = \"25s\"",
       "x.toml:37:6: fault starts at 25s, after the experiment ends (20s)"},
      {"service = \"app\"\nat", "service = \"api\"\nat",
       "x.toml:36:11: unknown service 'api'; did you mean 'app'?"},
      {"\"{region}\"]", "\"{regoin}\"]",
       "x.toml:18:11: unknown placeholder '{regoin}' in command; did you mean '{region}'?"},
      {"host = \"app\"", "host = \"ap\"",
       "x.toml:17:8: service 'app' runs on unknown host 'ap'; did you mean 'app'?"},
      {"kind = \"convergence\"", "kind = \"convergance\"",
       "x.toml:41:8: unknown invariant 'convergance'; did you mean 'convergence'? (one of: "
       "convergence, no-lost-writes, read-your-writes, monotonic-reads, residency, "
       "failover-time, availability, linearizable, set, serializable, snapshot-isolation, "
       "strict-serializable, latency, rpo, recovery, cell-isolation)"},
      {"rate = 50", "rate = 0", "x.toml:22:8: 'rate' must be between 0.1 and 100000, not 0"},
      {"direction = \"one-way\"", "direction = \"sideways\"",
       "x.toml:30:13: 'direction' must be \"both\" or \"one-way\""},
  };
  for (const auto& c : cases) {
    std::string text = kValid;
    auto at = text.find(c.from);
    REQUIRE(at != std::string::npos);
    text.replace(at, c.from.size(), c.to);
    INFO("edit: " << c.from << " -> " << c.to);
    CHECK(first_error(text) == c.error);
  }
}

TEST_CASE("all problems of a file are reported together", "[parse]") {
  std::string text = kValid;
  text.replace(text.find("seed = 3"), 8, "sead = 3");
  text.replace(text.find("geo = \"eu\""), 10, "geo = 1");
  try {
    parse_experiment(text, "x.toml", any_program);
    FAIL("no error");
  } catch (const ExperimentError& e) {
    CHECK(e.diagnostics().size() == 2);
  }
}

TEST_CASE("a missing program is bad input with the fix", "[parse]") {
  auto none = [](const std::string&, const std::string&) -> std::optional<std::string> {
    return std::nullopt;
  };
  try {
    parse_experiment(kValid, "x.toml", none);
    FAIL("no error");
  } catch (const ExperimentError& e) {
    CHECK_THAT(e.what(), Catch::StartsWith("x.toml:18:11: program 'faultline-kv' not found"));
  }
}

TEST_CASE("durations", "[parse]") {
  CHECK(parse_duration("250ms") == Duration(250));
  CHECK(parse_duration("10s") == Duration(10000));
  CHECK(parse_duration("1.5s") == Duration(1500));
  CHECK(parse_duration("2m") == Duration(120000));
  CHECK(parse_duration("1h") == Duration(3600000));
  CHECK(parse_duration("-1s") == Duration(-1000));
  CHECK_FALSE(parse_duration("10").has_value());
  CHECK_FALSE(parse_duration("s").has_value());
  CHECK_FALSE(parse_duration("10 s").has_value());
  CHECK_FALSE(parse_duration("1e400s").has_value());
  CHECK(format_duration(Duration(1500)) == "1500ms");
  CHECK(format_duration(Duration(3000)) == "3s");
}

TEST_CASE("suggestions only for plausible typos", "[parse]") {
  CHECK(nearest("duraton", {"name", "duration"}) == "duration");
  CHECK_FALSE(nearest("xyz", {"name", "duration"}).has_value());
}

TEST_CASE("traffic-control faults and the WAN baseline parse into impairments", "[parse]") {
  Experiment e = load_experiment(
      std::string(FAULTLINE_SOURCE_DIR) + "/experiments/wan-latency.toml", any_program);
  REQUIRE(e.wan.has_value());
  CHECK(e.wan->impairment.delay == 40ms);
  CHECK(e.wan->impairment.jitter == 4ms);
  CHECK(e.wan->impairment.distribution == "normal");
  REQUIRE(e.faults.size() == 3);
  CHECK(e.faults[0].kind == "delay");
  CHECK(e.faults[0].between == std::vector<std::string>{"us-east-1", "eu-west-1"});
  CHECK(e.faults[0].impairment.delay == 100ms);
  CHECK(e.faults[1].kind == "slow-db");
  CHECK(e.faults[1].region == "eu-west-1");
  CHECK(e.faults[1].host == "db");
  CHECK(e.faults[1].ports->low == 5432);
  CHECK(e.faults[2].kind == "loss");
  CHECK(e.faults[2].impairment.loss == 10);
  CHECK(e.needs_netem());

  Experiment squeeze = load_experiment(
      std::string(FAULTLINE_SOURCE_DIR) + "/experiments/bandwidth-squeeze.toml", any_program);
  CHECK(squeeze.faults[0].impairment.rate_bits == 64000);
  CHECK_FALSE(squeeze.needs_netem());
}

TEST_CASE("the engine defaults to auto and takes netem or nfqueue", "[parse]") {
  CHECK(parse_experiment(kValid, "x.toml", any_program).engine == "auto");
  std::string text = kValid;
  text.replace(text.find("seed = 3"), 8, "seed = 3\nengine = \"nfqueue\"");
  CHECK(parse_experiment(text, "x.toml", any_program).engine == "nfqueue");
}

TEST_CASE("[workload] retry parses, and refuses what it cannot do", "[parse][retry]") {
  auto with = [](const std::string& workload_line, const std::string& invariant = "") {
    std::string text = kValid;
    text.replace(text.find("keys = 4"), 8, "keys = 4\n" + workload_line);
    if (!invariant.empty()) text += "\n[[invariant]]\n" + invariant + "\n";
    return text;
  };
  const Experiment e = parse_experiment(
      with("retry = { attempts = 3, backoff = \"50ms\", budget = 0.2, region = \"failover\" }"),
      "x.toml", any_program);
  CHECK(e.workload.retry.attempts == 3);
  CHECK(e.workload.retry.backoff == Duration(50));
  CHECK(e.workload.retry.budget == 0.2);
  CHECK(e.workload.retry.failover);
  CHECK(parse_experiment(kValid, "x.toml", any_program).workload.retry.attempts == 1);
  CHECK_THAT(first_error(with("retry = { attempts = 2, region = \"elsewhere\" }")),
             Catch::Contains("retry region"));
  CHECK_THAT(first_error(with("retry = { tries = 2 }")), Catch::Contains("tries"));
  CHECK_THAT(first_error(with("retry = 2")), Catch::Contains("'retry' must be a table"));
  CHECK_THAT(first_error(with("kind = \"set\"\nretry = { attempts = 2 }")),
             Catch::Contains("it needs kind = \"kv\""));
}

TEST_CASE("latency, rpo and recovery read their keys and say what is missing", "[parse][latency]") {
  auto with = [](const std::string& invariant) {
    return std::string(kValid) + "\n[[invariant]]\n" + invariant + "\n";
  };
  const Experiment e = parse_experiment(
      with("kind = \"latency\"\np50 = \"20ms\"\np99 = \"300ms\"\nduring = \"faults\"\nuntouched = true"),
      "x.toml", any_program);
  const InvariantSpec& latency = e.invariants.back();
  REQUIRE(latency.percentiles.size() == 2);
  CHECK(latency.percentiles[1] == std::pair<double, Duration>{0.99, Duration(300)});
  CHECK(latency.during == "faults");
  CHECK(latency.untouched);
  CHECK_THAT(first_error(with("kind = \"latency\"")), Catch::Contains("at least one bound"));
  CHECK_THAT(first_error(with("kind = \"latency\"\np99 = \"1s\"\nduring = \"always\"")),
             Catch::Contains("latency window"));
  CHECK_THAT(first_error(with("kind = \"rpo\"")), Catch::Contains("rpo needs a bound"));
  std::string customers = with("kind = \"recovery\"\nmax_jump = 0.5");
  customers.replace(customers.find("keys = 4"), 8, "keys = 4\ndata = \"customers\"");
  const Experiment r = parse_experiment(customers, "x.toml", any_program);
  CHECK(r.invariants.back().recovery_max_jump == 0.5);
  CHECK(r.invariants.back().within == Duration(6000));
  CHECK(r.invariants.back().min_fraction == Approx(0.95));
}

TEST_CASE("a program named by a path keeps the name it is run by, links and all", "[parse]") {
  // Debian's /usr/bin/psql is a link to pg_wrapper, which picks the client
  // by the name it was run as: resolved through the link it would not run.
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("faultline-program-" + std::to_string(::getpid()));
  fs::create_directories(dir / "bin");
  {
    std::ofstream wrapper(dir / "bin" / "wrapper");
    wrapper << "#!/bin/sh\n";
  }
  fs::permissions(dir / "bin" / "wrapper", fs::perms::owner_all);
  fs::create_symlink("wrapper", dir / "bin" / "tool");
  CHECK(resolve_program((dir / "bin" / "tool").string(), "/") == (dir / "bin" / "tool").string());
  CHECK(resolve_program("bin/../bin/tool", dir.string()) == (dir / "bin" / "tool").string());
  CHECK(resolve_program("bin/nothing", dir.string()) == std::nullopt);
  fs::remove_all(dir);
}
