// Every fault kind's plan, as the dry run prints it and the actuator gets it.
#include "controllers/faults/plan_render.hpp"

#include <catch2/catch.hpp>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/fault_plan.hpp"
#include "controllers/topology/plan.hpp"

using namespace faultline;
using Lines = std::vector<std::string>;

namespace {

const char* kEveryKind = R"(
[experiment]
name = "every-kind"
duration = "60s"

[[region]]
name = "us"
geo = "us"

[[region]]
name = "eu"
geo = "eu"

[[service]]
name = "app"
host = "app"
command = ["app"]

[[fault]]
kind = "partition"
groups = [["us"], ["eu"]]
at = "1s"
for = "1s"

[[fault]]
kind = "isolate"
region = "eu"
mode = "prohibit"
at = "2s"
for = "1s"

[[fault]]
kind = "partition"
groups = [["us"], ["eu"]]
direction = "one-way"
port = 5432
at = "3s"
for = "1s"

[[fault]]
kind = "kill"
region = "us"
service = "app"
at = "4s"
for = "1s"

[[fault]]
kind = "pause"
region = "eu"
service = "app"
at = "5s"
for = "1s"

[[fault]]
kind = "restart"
region = "us"
service = "app"
at = "7s"

[[fault]]
kind = "clock-skew"
region = "eu"
offset = "-10s"
at = "8s"
for = "1s"

[[fault]]
kind = "delay"
between = ["us", "eu"]
direction = "one-way"
delay = "100ms"
jitter = "10ms"
at = "9s"
for = "1s"

[[fault]]
kind = "loss"
percent = 5
at = "10s"
for = "1s"

[[fault]]
kind = "duplicate"
percent = 1
between = ["us", "eu"]
direction = "one-way"
at = "11s"
for = "1s"

[[fault]]
kind = "reorder"
percent = 20
delay = "10ms"
between = ["us", "eu"]
direction = "one-way"
at = "12s"
for = "1s"

[[fault]]
kind = "corrupt"
percent = 2
between = ["us", "eu"]
direction = "one-way"
at = "13s"
for = "1s"

[[fault]]
kind = "bandwidth"
rate = "1mbit"
between = ["us", "eu"]
direction = "one-way"
at = "14s"
for = "1s"

[[fault]]
kind = "slow-db"
region = "eu"
delay = "200ms"
at = "15s"
for = "1s"

[[fault]]
kind = "command"
region = "eu"
host = "db"
run = ["promote.sh", "--primary", "{addr:db@us}", "--log", "{results}/promote-{region}.log"]
at = "16s"

[[fault]]
kind = "command"
region = "us"
host = "app"
run = ["sh", "-c", "echo it's {region}", "-c", "echo 'it'\necho done"]
at_end = ["true"]
user = "root"
timeout = "5s"
at = "17s"
for = "2s"
)";

struct Rendered {
  std::vector<FaultPlan> plans;
  std::vector<Lines> lines;  // per fault
};

Rendered render_every_kind() {
  const ProgramResolver any_program = [](const std::string& p, const std::string&) {
    return std::optional<std::string>("/bin/" + p);
  };
  Experiment e = parse_experiment(kEveryKind, "every-kind.toml", any_program);
  TopologyPlan topology = plan_topology("t1", {{"us", "us"}, {"eu", "eu"}}, e.hosts);
  Rendered out;
  out.plans = plan_faults(e, topology);
  PlanRenderer renderer;
  for (const auto& plan : out.plans) out.lines.push_back(renderer.render(plan.steps));
  return out;
}

}  // namespace

TEST_CASE("every fault kind's plan renders as the change it makes", "[plan][dry-run]") {
  const Rendered r = render_every_kind();
  REQUIRE(r.plans.size() == 16);
  for (std::size_t i = 0; i < r.plans.size(); ++i) {
    INFO("fault " << i << ": " << r.plans[i].what);
    CHECK(r.plans[i].fault == i);
    CHECK_FALSE(r.lines[i].empty());
  }
  // partition: a blackhole route per direction and family, in each router.
  CHECK(r.plans[0].what == "partition [us] | [eu]");
  CHECK(r.lines[0] == Lines{
      "netns fl-t1-us: route add blackhole 198.18.2.0/24 metric 100 proto 241",
      "netns fl-t1-us: route add blackhole 2001:2:0:2::/64 metric 100 proto 241",
      "netns fl-t1-eu: route add blackhole 198.18.1.0/24 metric 100 proto 241",
      "netns fl-t1-eu: route add blackhole 2001:2:0:1::/64 metric 100 proto 241"});
  // isolate with mode = "prohibit": fail-fast routes.
  CHECK(r.lines[1].front().find("route add prohibit") != std::string::npos);
  // a partition narrowed to a port: nf_tables drop rules, one direction.
  CHECK(r.plans[2].what == "partition port 5432 [us] -/-> [eu]");
  CHECK(r.lines[2].front().rfind("netns fl-t1-us: nft add rule ip faultline egress ", 0) == 0);
  CHECK(r.lines[2].front().find("drop") != std::string::npos);
  // processes
  CHECK(r.lines[3] == Lines{"SIGKILL the process group of app@us; start it again at the end"});
  CHECK(r.lines[4] == Lines{"SIGSTOP the process group of app@eu; SIGCONT at the end"});
  CHECK(r.lines[5] == Lines{"SIGKILL then start app@us"});
  CHECK_FALSE(r.plans[5].lasting);
  // the clock: a write of libfaketime's spec, never a process action.
  CHECK(r.plans[6].what == "clock-skew eu");
  CHECK(r.lines[6] == Lines{"clock of the services of eu (libfaketime): \"-10.000 x1.000000\"; "
                            "\"+0.000 x1.000000\" again at the end"});
  // traffic control: the first class on an interface creates faultline's root.
  CHECK(r.lines[7].front() == "netns fl-t1-us: tc qdisc add dev wan0 root handle fa00: htb "
                              "default 1 (once per interface, with class fa00:1 unlimited)");
  auto mentions = [](const Lines& lines, const std::string& text) {
    for (const auto& l : lines)
      if (l.find(text) != std::string::npos) return true;
    return false;
  };
  CHECK(r.lines[7] == Lines{
      "netns fl-t1-us: tc qdisc add dev wan0 root handle fa00: htb default 1 (once per interface, "
      "with class fa00:1 unlimited)",
      "netns fl-t1-us: tc class add dev wan0 parent fa00: classid fa00:10 htb rate 100gbit ceil 100gbit",
      "netns fl-t1-us: tc qdisc add dev wan0 parent fa00:10 handle fa10: netem limit 10000 delay 100ms 10ms",
      "netns fl-t1-us: tc filter add dev wan0 parent fa00: prio 42 protocol ip u32 match ip dst "
      "198.18.2.0/24 flowid fa00:10",
      "netns fl-t1-us: tc filter add dev wan0 parent fa00: prio 43 protocol ipv6 u32 match ip6 dst "
      "2001:2:0:2::/64 flowid fa00:10"});
  CHECK(mentions(r.lines[8], "loss 5%"));
  CHECK(mentions(r.lines[9], "duplicate 1%"));
  CHECK(mentions(r.lines[10], "reorder 20%"));
  CHECK(mentions(r.lines[11], "corrupt 2%"));
  CHECK(mentions(r.lines[12], "htb rate 1000000bit ceil 1000000bit"));
  // slow-db: the database host's own egress, from its port.
  CHECK(r.plans[13].what == "slow-db eu/db port 5432");
  CHECK(r.lines[13].front().rfind("netns fl-t1-eu-db: ", 0) == 0);
  CHECK(mentions(r.lines[13], "sport 5432"));
  // command: the program in its host's namespace, placeholders filled but
  // {results}, which the run fills when it knows its folder; over once run.
  CHECK(r.plans[14].what == "command eu/db promote.sh");
  CHECK_FALSE(r.plans[14].lasting);
  CHECK(r.lines[14] == Lines{"netns fl-t1-eu-db: run as nobody, killed after 30s: /bin/promote.sh "
                             "--primary 198.18.1.11 --log {results}/promote-eu.log"});
  // with an end command and `for`, it lasts; words quoted for the eye.
  CHECK(r.plans[15].lasting);
  CHECK(r.lines[15] ==
        Lines{"netns fl-t1-us-app: run as root, killed after 5s: /bin/sh -c 'echo it'\\''s us' "
              "-c $'echo \\'it\\'\\necho done'",
              "netns fl-t1-us-app: at the end, run as root, killed after 5s: /bin/true"});
}

TEST_CASE("the plan's steps are the values the actuator gets", "[plan]") {
  const Rendered r = render_every_kind();
  CHECK(std::holds_alternative<RouteStep>(r.plans[0].steps.front()));
  CHECK(std::holds_alternative<DropRuleStep>(r.plans[2].steps.front()));
  const auto& kill = std::get<ProcessStep>(r.plans[3].steps.front());
  CHECK(kill.action == ProcessAction::kill);
  CHECK(kill.region == "us");
  const auto& clock = std::get<ClockStep>(r.plans[6].steps.front());
  CHECK(clock.offset == Duration(-10000));
  const auto& shape = std::get<ShapeStep>(r.plans[13].steps.front());
  CHECK(shape.change.netns == "fl-t1-eu-db");
  CHECK(shape.change.spec.netem.delay_us == 200000);
  const auto& command = std::get<CommandStep>(r.plans[14].steps.front());
  CHECK(command.fault == 14);
  CHECK(command.region == "eu");
  CHECK(command.host == "db");
  CHECK(command.netns == "fl-t1-eu-db");
  CHECK(command.run == std::vector<std::string>{"/bin/promote.sh", "--primary", "198.18.1.11",
                                                "--log", "{results}/promote-eu.log"});
  CHECK(command.at_end.empty());
  CHECK(command.user == "nobody");
  CHECK(command.timeout == Duration(30000));
}
