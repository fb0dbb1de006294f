// The compose provider's pure parts: reading the Docker API's answers, the
// plan from a stack's containers (and the one-line errors when the stack does
// not fit the experiment), and the run journal.
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "controllers/compose/compose_provider.hpp"
#include "controllers/compose/compose_topology.hpp"
#include "controllers/faults/partition_plan.hpp"
#include "controllers/faults/shaping_plan.hpp"
#include "controllers/run/recover.hpp"
#include "controllers/run/run_journal.hpp"

using namespace faultline;
using namespace faultline::compose;

namespace {

Container node(const std::string& name, const std::string& region, const std::string& host,
               std::vector<Endpoint> endpoints, pid_t pid, const std::string& project = "stack") {
  Container c;
  c.id = name + "-id";
  c.name = name;
  c.labels = {{kRegionLabel, region}, {kHostLabel, host}, {kProjectLabel, project}};
  c.running = true;
  c.pid = pid;
  c.endpoints = std::move(endpoints);
  return c;
}

// Two regions as docker-compose.yml lays them out: a gateway on the region's
// network and the WAN, hosts on the region's network.
std::vector<Container> stack(const std::string& project = "stack", bool ipv6 = true) {
  std::vector<Container> out;
  pid_t pid = 100;
  for (int i : {1, 2}) {
    const std::string r = i == 1 ? "us-east-1" : "eu-west-1";
    const std::string n = std::to_string(i);
    auto v6 = [&](const std::string& host) { return ipv6 ? "2001:2:0:" + n + "::" + host : ""; };
    out.push_back(node(project + "_" + r + "-gateway_1", r, "gateway",
                       {{"wan", "198.19.0." + n, 24, ipv6 ? "2001:2:0:ffff::" + n : "", 64},
                        {r, "198.18." + n + ".1", 24, v6("1"), 64}},
                       pid++, project));
    int last = 10;
    for (const std::string h : {"app", "db", "client"})
      out.push_back(node(project + "_" + r + "-" + h + "_1", r, h,
                         {{r, "198.18." + n + "." + std::to_string(last), 24, v6(std::to_string(last)), 64}},
                         pid++, project)),
          ++last;
  }
  return out;
}

const std::vector<RegionInput> kRegions{{"us-east-1", "us"}, {"eu-west-1", "eu"}};
const std::vector<std::string> kHosts{"app", "db", "client"};

}  // namespace

TEST_CASE("a container as the Docker API describes it") {
  auto j = nlohmann::json::parse(R"({
    "Id": "abc123", "Name": "/faultline_us-east-1-app_1",
    "Config": {"Labels": {"faultline.region": "us-east-1", "faultline.host": "app"}},
    "State": {"Running": true, "Paused": false, "Pid": 4242},
    "NetworkSettings": {"Networks": {"faultline_us-east-1": {
      "IPAddress": "198.18.1.10", "IPPrefixLen": 24,
      "GlobalIPv6Address": "2001:2:0:1::a", "GlobalIPv6PrefixLen": 64}}}})");
  Container c = parse_container(j);
  CHECK(c.name == "faultline_us-east-1-app_1");
  CHECK(c.label(kRegionLabel) == "us-east-1");
  CHECK(c.label("absent").empty());
  CHECK(c.running);
  CHECK(c.pid == 4242);
  REQUIRE(c.endpoints.size() == 1);
  CHECK(c.endpoints[0].ipv4 == "198.18.1.10");
  CHECK(c.endpoints[0].prefix_v6 == 64);
  // A stopped container: no pid, no addresses; nothing throws.
  Container stopped = parse_container(nlohmann::json::parse(R"({"Id":"x","State":{"Running":false}})"));
  CHECK_FALSE(stopped.running);
  CHECK(stopped.endpoints.empty());
}

TEST_CASE("network_of masks an address to its network") {
  CHECK(network_of("198.18.1.10", 24) == "198.18.1.0/24");
  CHECK(network_of("198.18.3.77", 15) == "198.18.0.0/15");
  CHECK(network_of("2001:2:0:1::a", 64) == "2001:2:0:1::/64");
  CHECK_THROWS_AS(network_of("not-an-address", 24), ComposeError);
  CHECK_THROWS_AS(network_of("198.18.1.10", 33), ComposeError);
}

TEST_CASE("the plan from a compose stack: gateways stand where routers stand") {
  TopologyPlan plan = plan_from_containers(kRegions, kHosts, stack(), "");
  REQUIRE(plan.regions.size() == 2);
  const RegionPlan& us = plan.region("us-east-1");
  CHECK(us.router_netns == "stack_us-east-1-gateway_1@100");
  CHECK(us.lan_v4 == "198.18.1.0/24");
  CHECK(us.lan_v6 == "2001:2:0:1::/64");
  CHECK(us.wan_v4 == "198.19.0.1");
  CHECK(us.host("db").ipv4 == "198.18.1.11");
  CHECK(us.host("db").netns == "stack_us-east-1-db_1@102");

  // The same fault plans as for namespaces, aimed at the gateways.
  auto routes = plan_partition(plan, {{"us-east-1"}, {"eu-west-1"}}, true,
                               injector::RouteType::blackhole, 100);
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].netns == us.router_netns);
  CHECK(routes[0].route.destination == "198.18.2.0/24");
}

TEST_CASE("a stack without IPv6 gets IPv4 faults only") {
  TopologyPlan plan = plan_from_containers(kRegions, kHosts, stack("stack", false), "");
  CHECK(plan.region("us-east-1").lan_v6.empty());
  auto routes = plan_partition(plan, {{"us-east-1"}, {"eu-west-1"}}, false,
                               injector::RouteType::blackhole, 100);
  CHECK(routes.size() == 2);  // one per direction, IPv4 alone
  FaultSpec delay;
  delay.kind = "delay";
  delay.between = {"us-east-1", "eu-west-1"};
  delay.impairment.delay = Duration(50);
  for (const auto& change : plan_traffic_fault(plan, delay, std::nullopt))
    for (const auto& m : change.spec.matches) CHECK(m.family == AF_INET);
}

TEST_CASE("a stack that does not fit the experiment is refused with the fix") {
  auto message = [](const std::vector<RegionInput>& regions, const std::vector<std::string>& hosts,
                    const std::vector<Container>& containers, const std::string& project = "") {
    try {
      plan_from_containers(regions, hosts, containers, project);
    } catch (const ComposeError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message({{"ap-south-1", "ap"}}, kHosts, stack()) ==
        "the compose stack has no region 'ap-south-1': no container labelled "
        "faultline.region=ap-south-1 and faultline.host=gateway. Is the stack up (docker-compose "
        "up -d), and does the experiment name its regions?");
  CHECK(message(kRegions, {"app", "edge"}, stack()) ==
        "compose project 'stack' has no host 'edge' in region 'us-east-1': no container labelled "
        "faultline.region=us-east-1 and faultline.host=edge");
  auto stopped = stack();
  stopped[1].running = false;
  CHECK(message(kRegions, kHosts, stopped) ==
        "container stack_us-east-1-app_1 is not running; start the stack first: docker-compose up -d");
  auto both = stack("one");
  for (auto& c : stack("two")) both.push_back(c);
  CHECK(message(kRegions, kHosts, both) ==
        "several compose projects hold these regions (one, two); choose one with --compose-project");
  CHECK(message(kRegions, kHosts, both, "two") == "no error");
}

TEST_CASE("a journal entry survives the trip through its file, and a dead pid is not alive") {
  const auto dir = std::filesystem::temp_directory_path() / ("fl-journal-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    JournalEntry e;
    e.run_id = "abc123";
    e.provider = "compose";
    e.docker_socket = "/var/run/docker.sock";
    RunJournal journal(dir.string(), e);
    journal.container("c1", "killed");
    auto entries = read_journals(dir.string());
    REQUIRE(entries.size() == 1);
    const JournalEntry& read = entries[0].second;
    CHECK(read.run_id == "abc123");
    CHECK(read.pid == ::getpid());
    CHECK(read.containers.at("c1") == "killed");
    CHECK(run_alive(read));  // this very process
    JournalEntry recycled = read;
    recycled.start_time += 1;  // the same pid, another process
    CHECK_FALSE(run_alive(recycled));
  }
  CHECK(read_journals(dir.string()).empty());  // a run that ends deletes its entry
  std::filesystem::remove_all(dir);
}

TEST_CASE("recover removes the journal draft a run killed mid-write left, and only a dead run's") {
  const auto dir = std::filesystem::temp_directory_path() / ("fl-drafts-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "runs");
  JournalEntry live;
  live.run_id = "live01";
  live.pid = ::getpid();
  live.start_time = process_start_time(::getpid()).value();
  JournalEntry dead = live;
  dead.run_id = "dead01";
  dead.start_time += 1;  // the same pid, another process: gone
  std::ofstream(dir / "runs" / "live01.json.tmp") << live.to_json().dump();
  std::ofstream(dir / "runs" / "dead01.json.tmp") << dead.to_json().dump();
  std::ofstream(dir / "runs" / "torn01.json.tmp") << "{\"run_id\": \"torn";  // cut short, just now
  auto out = recover_dead_runs(dir.string());
  CHECK(std::filesystem::exists(dir / "runs" / "live01.json.tmp"));
  CHECK_FALSE(std::filesystem::exists(dir / "runs" / "dead01.json.tmp"));
  CHECK(std::filesystem::exists(dir / "runs" / "torn01.json.tmp"));  // may be a write in progress
  std::filesystem::last_write_time(dir / "runs" / "torn01.json.tmp",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::minutes(1));
  recover_dead_runs(dir.string());
  CHECK_FALSE(std::filesystem::exists(dir / "runs" / "torn01.json.tmp"));
  CHECK(std::filesystem::exists(dir / "runs" / "live01.json.tmp"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the compose provider refuses a command fault before touching the stack", "[compose]") {
  Experiment e;
  e.path = "failover.toml";
  FaultSpec command;
  command.kind = "command";
  command.region = "us-east-1";
  command.where = {12, 1};
  e.faults.push_back(command);
  // No daemon on this socket: the refusal comes before anything asks one.
  ComposeProvider provider("/nonexistent/docker.sock", "");
  CHECK_THROWS_WITH(provider.preflight(e),
                    "failover.toml:12: command faults run a program in a host faultline builds; "
                    "inside a compose stack's container (docker exec) they are not offered yet; "
                    "nothing was touched. Run it with --provider namespaces");
}
