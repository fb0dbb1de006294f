#include "controllers/faults/random_nemesis.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/faults/schedule_toml.hpp"

using namespace faultline;

namespace {

std::optional<std::string> any_program(const std::string& program, const std::string&) {
  return "/usr/bin/" + program;
}

// Four regions, two services; the [[nemesis]] table starts on line 29.
const char* kBase = R"(
[experiment]
name = "demo"
duration = "60s"
seed = 5

[[region]]
name = "us-east-1"
geo = "us"
[[region]]
name = "us-west-2"
geo = "us"
[[region]]
name = "eu-west-1"
geo = "eu"
[[region]]
name = "ap-south-1"
geo = "ap"

[[service]]
name = "app"
host = "app"
command = ["faultline-kv"]
[[service]]
name = "db"
host = "db"
command = ["faultline-postgres"]

[[nemesis]]
)";

const char* kEverything = R"(kinds = ["partition", "isolate", "kill", "pause", "restart", "delay", "loss", "clock-skew"]
faults = 40
interval = ["100ms", "1s"]
for = ["1s", "8s"]
)";

Experiment parse(const std::string& nemesis, std::optional<std::uint64_t> seed = std::nullopt) {
  return parse_experiment(std::string(kBase) + nemesis, "x.toml", any_program, {}, seed);
}

std::string first_error(const std::string& nemesis) {
  try {
    parse(nemesis);
  } catch (const ExperimentError& e) {
    return e.diagnostics().front().to_string();
  }
  return "(no error)";
}

std::vector<std::string> described(const Experiment& e) {
  std::vector<std::string> out;
  for (const auto& f : e.faults)
    out.push_back(format_duration(f.at) + " " + format_duration(f.length) + " " +
                  describe_fault(f));
  return out;
}

}  // namespace

TEST_CASE("a nemesis draws the same schedule from the same seed, another from another",
          "[nemesis]") {
  const Experiment a = parse(kEverything);
  REQUIRE(a.faults.size() == 40);
  CHECK(described(parse(kEverything)) == described(a));
  CHECK(described(parse(kEverything, 6)) != described(a));
  CHECK(described(parse(kEverything, 5)) == described(a));
  for (const auto& f : a.faults) CHECK(f.drawn_by == 0);
  // Every kind it was given turns up in 40 draws.
  std::set<std::string> kinds;
  for (const auto& f : a.faults) kinds.insert(f.kind);
  CHECK(kinds.size() == 8);
}

TEST_CASE("drawn faults never overlap where validation refuses, over many seeds", "[nemesis]") {
  // Dense draws on few links and services: overlaps would be drawn often.
  const std::string dense = R"(kinds = ["kill", "pause", "restart", "delay", "loss", "clock-skew"]
faults = 30
interval = ["200ms", "800ms"]
for = ["500ms", "3s"]
regions = ["us-east-1", "us-west-2"]
services = ["app"]
)";
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    INFO("seed " << seed);
    Experiment e;
    // parse_experiment validates after drawing: an overlap it refuses throws.
    REQUIRE_NOTHROW(e = parse(dense, seed));
    REQUIRE(e.faults.size() == 30);
    for (std::size_t i = 0; i < e.faults.size(); ++i)
      for (std::size_t j = i + 1; j < e.faults.size(); ++j)
        CHECK_FALSE(faults_conflict(e, e.faults[i], e.faults[j]));
  }
}

TEST_CASE("drawn faults keep to the nemesis's ranges, regions, services and targets",
          "[nemesis]") {
  const Experiment e = parse(R"(kinds = ["partition", "kill", "delay", "loss", "clock-skew"]
faults = 50
start = "2s"
interval = ["200ms", "900ms"]
for = ["1500ms", "2500ms"]
regions = ["eu-west-1", "ap-south-1"]
services = ["db"]
targets = ["pair", "one-way"]
delay = ["100ms", "200ms"]
loss = [10, 20]
offset = ["-5s", "-2s"]
)");
  REQUIRE(e.faults.size() == 50);
  Duration previous{2000};
  for (const auto& f : e.faults) {
    INFO(describe_fault(f));
    CHECK(f.at - previous >= Duration(200));
    CHECK(f.at - previous <= Duration(900));
    previous = f.at;
    CHECK(f.length >= Duration(1500));
    CHECK(f.length <= Duration(2500));
    if (f.kind == "partition") {
      REQUIRE(f.groups.size() == 2);
      const bool pair = f.groups[0].size() == 1 && f.groups[1].size() == 1 && !f.one_way;
      const bool one_way = f.one_way && f.groups[0].size() == 1 && f.groups[1].size() == 3;
      CHECK((pair || one_way));
      CHECK((f.groups[0][0] == "eu-west-1" || f.groups[0][0] == "ap-south-1"));
    } else if (f.kind == "kill") {
      CHECK(f.service == "db");
      CHECK((f.region == "eu-west-1" || f.region == "ap-south-1"));
    } else if (f.kind == "delay") {
      CHECK(f.impairment.delay >= Duration(100));
      CHECK(f.impairment.delay <= Duration(200));
      CHECK(f.between.size() == 2);
    } else if (f.kind == "loss") {
      CHECK(f.impairment.loss >= 10);
      CHECK(f.impairment.loss <= 20);
    } else if (f.kind == "clock-skew") {
      CHECK(f.offset >= Duration(-5000));
      CHECK(f.offset <= Duration(-2000));
    }
  }
}

TEST_CASE("a minority cut holds fewer than half of the regions, a majority more", "[nemesis]") {
  for (const char* target : {"minority", "majority"}) {
    const Experiment e = parse(std::string("kinds = [\"partition\"]\nfaults = 20\ntargets = [\"") +
                               target + "\"]\ninterval = [\"1s\", \"2s\"]\n");
    for (const auto& f : e.faults) {
      REQUIRE(f.groups.size() == 2);
      CHECK(f.groups[0].size() + f.groups[1].size() == 4);
      if (std::string(target) == "minority")
        CHECK(f.groups[0].size() == 1);  // of four regions, fewer than half is one
      else
        CHECK(f.groups[0].size() == 3);
    }
  }
}

TEST_CASE("a [[nemesis]] with bad keys says what is wrong, at the table", "[nemesis]") {
  CHECK(first_error("kinds = [\"bandwidth\"]\nfaults = 2\n") ==
        "x.toml:30:9: a nemesis does not draw 'bandwidth' faults (it draws 'partition', "
        "'isolate', 'kill', 'pause', 'restart', 'delay', 'loss', 'clock-skew', 'slow-db' and "
        "'command')");
  CHECK(first_error("kinds = [\"kill\"]\nfaults = 40\n") ==
        "x.toml:29:1: the last of 40 faults could start at 120s, after the experiment ends "
        "(60s): draw fewer faults, shorten 'interval' or lengthen 'duration'");
  CHECK(first_error("kinds = [\"kill\"]\nfaults = 2\nfor = [\"4s\", \"1s\"]\n") ==
        "x.toml:32:7: 'for' must run from low to high, within 1ms and 86400s");
  CHECK(first_error("kinds = [\"kill\"]\nfaults = 2\nservices = [\"ap\"]\n") ==
        "x.toml:32:12: unknown service 'ap' in 'services'; did you mean 'app'?");
  CHECK(first_error("kinds = [\"kill\"]\nfaults = 2\nrate = 3\n").find("unknown key 'rate'") !=
        std::string::npos);
  CHECK(first_error("kinds = [\"kill\"]\n").find("'faults'") != std::string::npos);
  // Every key the reader takes is in the table the docs list.
  for (const char* key : {"kinds", "faults", "start", "interval", "for", "targets", "regions",
                          "services", "delay", "loss", "offset", "command"})
    CHECK(find_key(nemesis_keys(), key) != nullptr);
}

TEST_CASE("schedule.toml replays the drawn faults without drawing", "[nemesis]") {
  const Experiment e = parse(kEverything, 11);
  const std::string text = render_document(schedule_document(std::string(kBase) + kEverything, e),
                                           "a schedule");
  CHECK(text.find("[[nemesis]]") == std::string::npos);
  const Experiment replay = parse_experiment(text, "schedule.toml", any_program);
  CHECK(replay.nemeses.empty());
  CHECK(replay.seed == 11);
  CHECK(described(replay) == described(e));
  for (const auto& f : replay.faults) CHECK(f.drawn_by == -1);
}

TEST_CASE("docs/experiments.md lists every [[nemesis]] key", "[nemesis]") {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/docs/experiments.md");
  std::stringstream docs;
  docs << in.rdbuf();
  for (const KeySpec& key : nemesis_keys())
    CHECK(docs.str().find("| `" + key.name + "` |") != std::string::npos);
  for (const auto& target : partition_targets())
    CHECK(docs.str().find("`" + target + "`") != std::string::npos);
}

namespace {

const char* kCommands = R"(kinds = ["slow-db", "command"]
faults = 12
interval = ["500ms", "2s"]
for = ["1s", "6s"]
delay = ["100ms", "900ms"]
regions = ["us-east-1", "eu-west-1"]
command = { host = "db", run = ["read-only.sh", "{addr}", "{region}"], at_end = ["writable.sh", "{addr}"], user = "root" }
)";

}  // namespace

TEST_CASE("a nemesis draws slow databases and the user's command, placed like written ones",
          "[nemesis]") {
  const Experiment e = parse(kCommands, 3);
  std::set<std::string> kinds;
  for (const auto& f : e.faults) {
    kinds.insert(f.kind);
    CHECK((f.region == "us-east-1" || f.region == "eu-west-1"));
    CHECK(f.length >= Duration(1000));
    CHECK(f.length <= Duration(6000));
    if (f.kind == "slow-db") {
      CHECK(f.host == "db");
      REQUIRE(f.ports);
      CHECK(f.ports->low == 5432);
      CHECK(f.impairment.delay >= Duration(100));
      CHECK(f.impairment.delay <= Duration(900));
    } else {
      REQUIRE(f.kind == "command");
      CHECK(f.host == "db");
      CHECK(f.command.run == std::vector<std::string>{"read-only.sh", "{addr}", "{region}"});
      CHECK(f.command.program == "/usr/bin/read-only.sh");
      CHECK(f.command.end_program == "/usr/bin/writable.sh");
      CHECK(f.command.user == "root");
    }
  }
  CHECK(kinds == std::set<std::string>{"slow-db", "command"});
  // Two commands in one host never run at once: the second would undo the first.
  for (std::size_t i = 0; i < e.faults.size(); ++i)
    for (std::size_t j = i + 1; j < e.faults.size(); ++j)
      CHECK_FALSE(faults_conflict(e, e.faults[i], e.faults[j]));
  // Replayed from schedule.toml, the programs as found.
  const std::string text = render_document(schedule_document(std::string(kBase) + kCommands, e),
                                           "a schedule");
  CHECK(text.find("run = [ '/usr/bin/read-only.sh', '{addr}', '{region}' ]") != std::string::npos);
  const Experiment replay = parse_experiment(
      text, "schedule.toml", [](const std::string& program, const std::string&) {
        return std::optional<std::string>(program);
      });
  CHECK(described(replay) == described(e));
  for (std::size_t i = 0; i < e.faults.size(); ++i) {
    CHECK(replay.faults[i].impairment.delay == e.faults[i].impairment.delay);
    CHECK(replay.faults[i].command.at_end == std::vector<std::string>(
                                                 e.faults[i].command.at_end.empty()
                                                     ? std::vector<std::string>{}
                                                     : std::vector<std::string>{
                                                           "/usr/bin/writable.sh", "{addr}"}));
  }
}

TEST_CASE("a nemesis's command and slow-db say what is wrong, at the table", "[nemesis]") {
  CHECK(first_error("kinds = [\"command\"]\nfaults = 2\n").find(
            "a drawn command fault runs the nemesis's 'command'") != std::string::npos);
  CHECK(first_error("kinds = [\"kill\"]\nfaults = 2\ncommand = { host = \"db\", run = [\"x\"] }\n")
            .find("add \"command\" to 'kinds'") != std::string::npos);
  CHECK(first_error("kinds = [\"command\"]\nfaults = 2\n"
                    "command = { host = \"db\", region = \"us-east-1\", run = [\"x\"] }\n")
            .find("unknown key 'region'") != std::string::npos);
  CHECK(first_error("kinds = [\"command\"]\nfaults = 2\ncommand = { host = \"dv\", run = [\"x\"] }\n")
            .find("unknown host 'dv'; did you mean 'db'?") != std::string::npos);
  CHECK(first_error("kinds = [\"command\"]\nfaults = 2\ncommand = \"x\"\n")
            .find("'command' must be a table") != std::string::npos);
  // A program that is nowhere: found as a written command's is, before anything runs.
  try {
    parse_experiment(std::string(kBase) + "kinds = [\"command\"]\nfaults = 2\n"
                                          "command = { host = \"db\", run = [\"nowhere\"] }\n",
                     "x.toml", [](const std::string& program, const std::string&) {
                       return program == "nowhere" ? std::nullopt
                                                   : std::optional<std::string>(program);
                     });
    FAIL("a missing program was accepted");
  } catch (const ExperimentError& e) {
    INFO(e.diagnostics().front().to_string());
    CHECK(e.diagnostics().front().to_string().rfind("x.toml:32:11: program 'nowhere' not found", 0) ==
          0);
  }
}
