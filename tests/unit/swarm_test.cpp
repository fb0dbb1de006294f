// The swarm provider's pure parts, on answers recorded from the swarm lane's
// cluster (scripts/swarm.sh, Docker 20.10): the manager's /nodes and /tasks,
// and each node's agent inventory read in the stack's containers. From them:
// the compose provider's plan, with the regions' fixed addresses, the links
// that hold them and the node of every namespace.
#include <catch2/catch.hpp>
#include <fstream>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/run/experiment_run.hpp"
#include "controllers/swarm/swarm_cluster.hpp"
#include "controllers/swarm/swarm_provider.hpp"

using namespace faultline;
using namespace faultline::swarm;

namespace {

nlohmann::json fixture(const std::string& name) {
  std::ifstream in(std::string(FAULTLINE_SOURCE_DIR) + "/tests/unit/fixtures/" + name);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<AgentContainer> inventory() {
  std::vector<AgentContainer> all;
  const auto answers = fixture("swarm_inventory.json");
  for (const auto& [node, answer] : answers.items())
    for (auto& c : parse_inventory(answer)) all.push_back(std::move(c));
  return all;
}

const std::vector<RegionInput> kRegions{{"us-east-1", "us"}, {"eu-west-1", "eu"}, {"ap-south-1", "ap"}};
const std::vector<std::string> kHosts{"db", "app", "edge", "client"};

}  // namespace

TEST_CASE("swarm: nodes from the manager's /nodes, the manager by its swarm address") {
  auto nodes = parse_nodes(fixture("swarm_nodes.json"));
  REQUIRE(nodes.size() == 3);
  std::map<std::string, std::string> address, region;
  for (const auto& n : nodes) {
    CHECK(n.ready);
    address[n.hostname] = n.address;
    region[n.hostname] = n.labels.at("faultline.region");
  }
  CHECK(address["fl-swarm-node1"] == "198.19.250.1");
  CHECK(address["fl-swarm-node2"] == "198.19.250.2");
  CHECK(address["fl-swarm-node3"] == "198.19.250.3");
  CHECK(region["fl-swarm-node2"] == "eu-west-1");
  CHECK_THROWS_AS(parse_nodes(nlohmann::json::object()), SwarmError);
}

TEST_CASE("swarm: tasks with their node, container, pid, labels and swarm's addresses") {
  auto tasks = parse_tasks(fixture("swarm_tasks.json"));
  REQUIRE(tasks.size() == 15);
  for (const auto& t : tasks) {
    CHECK(t.state == "running");
    CHECK(t.pid > 0);
    CHECK(t.container_id.size() == 64);
    CHECK(t.label(kStackLabel) == "faultline");
    CHECK_FALSE(t.label(kAddressLabel).empty());
  }
  const auto& gateway = *std::find_if(tasks.begin(), tasks.end(), [](const SwarmTask& t) {
    return t.label("faultline.region") == "us-east-1" && t.label("faultline.host") == "gateway";
  });
  REQUIRE(gateway.networks.size() == 2);
}

TEST_CASE("swarm: the plan is compose's, on the fixed addresses, links from the inventory") {
  auto tasks = parse_tasks(fixture("swarm_tasks.json"));
  auto listed = inventory();
  auto containers = containers_of(tasks, listed);
  REQUIRE(containers.size() == 15);
  TopologyPlan plan = compose::plan_from_containers(kRegions, kHosts, containers, "faultline");
  assign_links(plan, listed);
  REQUIRE(plan.regions.size() == 3);
  const RegionPlan& eu = plan.region("eu-west-1");
  CHECK(eu.lan_v4 == "198.18.2.0/24");
  CHECK(eu.gateway_v4 == "198.18.2.1");           // netinit's, not swarm's .128 and up
  CHECK(eu.host("db").ipv4 == "198.18.2.11");
  CHECK(eu.host("edge").ipv4 == "198.18.2.13");
  CHECK(eu.wan_v4.rfind("198.19.0.", 0) == 0);     // the WAN's address is swarm's
  CHECK(std::stoi(eu.wan_v4.substr(9)) >= 128);
  CHECK(eu.host("db").link == "eth0");
  CHECK_FALSE(eu.wan_link.empty());
  CHECK(eu.router_netns.rfind("faultline_eu-west-1-gateway.1.", 0) == 0);  // the container's name @ pid

  auto nodes = nodes_of_namespaces(tasks, containers);
  std::map<std::string, std::string> hostname;
  for (const auto& n : parse_nodes(fixture("swarm_nodes.json"))) hostname[n.id] = n.hostname;
  CHECK(hostname.at(nodes.at(eu.router_netns)) == "fl-swarm-node2");
  CHECK(hostname.at(nodes.at(plan.region("ap-south-1").host("app").netns)) == "fl-swarm-node3");
}

TEST_CASE("swarm: a task not running, or a container its agent did not list, named in the error") {
  auto tasks = parse_tasks(fixture("swarm_tasks.json"));
  for (auto& t : tasks)
    if (t.label("faultline.region") == "us-east-1" && t.label("faultline.host") == "db") {
      t.state = "failed";
      t.pid = 0;
    }
  auto listed = inventory();
  CHECK_THROWS_WITH(compose::plan_from_containers(kRegions, kHosts, containers_of(tasks, listed), ""),
                    Catch::Contains("us-east-1-db") && Catch::Contains("not running"));

  auto fine = parse_tasks(fixture("swarm_tasks.json"));
  TopologyPlan plan =
      compose::plan_from_containers(kRegions, kHosts, containers_of(fine, listed), "faultline");
  std::vector<AgentContainer> without_node3;
  for (const auto& c : listed)
    if (c.labels.at("faultline.region") != "ap-south-1") without_node3.push_back(c);
  CHECK_THROWS_WITH(assign_links(plan, without_node3), Catch::Contains("faultline-agent running"));
  for (auto& c : listed)
    for (auto& i : c.interfaces)
      std::erase_if(i.addresses, [](const std::string& a) { return a.rfind("198.18.1.10/", 0) == 0; });
  CHECK_THROWS_WITH(assign_links(plan, listed), Catch::Contains("198.18.1.10") && Catch::Contains("--address"));
}

TEST_CASE("swarm: agents at the nodes' swarm addresses unless --agent says otherwise") {
  auto nodes = parse_nodes(fixture("swarm_nodes.json"));
  auto agents = agent_addresses(nodes, {}, 7443);
  REQUIRE(agents.size() == 3);
  for (const auto& a : agents) CHECK(a.port == 7443);
  auto moved = agent_addresses(nodes, {{"fl-swarm-node2", "198.19.250.22:9000"}, {"fl-swarm-node3", "[2001:2::3]:7000"}}, 7443);
  for (const auto& a : moved) {
    if (a.node == "fl-swarm-node2") CHECK((a.address == "198.19.250.22" && a.port == 9000));
    if (a.node == "fl-swarm-node3") CHECK((a.address == "2001:2::3" && a.port == 7000));
    if (a.node == "fl-swarm-node1") CHECK((a.address == "198.19.250.1" && a.port == 7443));
  }
  CHECK_THROWS_WITH(agent_addresses(nodes, {{"node9", "198.19.250.9"}}, 7443),
                    Catch::Contains("no node named node9"));
  CHECK_THROWS_WITH(agent_addresses(nodes, {{"fl-swarm-node1", "198.19.250.1:x"}}, 7443),
                    Catch::Contains("is no port"));
}

TEST_CASE("swarm: preflight refuses clock and command faults and missing certificates, in one line") {
  auto any = [](const std::string& program, const std::string&) -> std::optional<std::string> {
    return program;
  };
  auto load = [&](const std::string& file) {
    return load_experiment(std::string(FAULTLINE_SOURCE_DIR) + "/experiments/" + file, any);
  };
  SwarmOptions options;
  options.manager = "/nonexistent/docker.sock";
  SwarmProvider provider(options);
  const auto clock = load("bug-lww-wall-clock.toml");
  CHECK_THROWS_WITH(provider.preflight(clock),
                    Catch::Contains("clock-skew faults need services that faultline starts") &&
                        Catch::Contains("--provider namespaces"));
  const auto command = load("postgres-failover-async.toml");
  CHECK_THROWS_WITH(provider.preflight(command), Catch::Contains("command faults run a program"));
  const auto fine = load("split-brain.toml");
  CHECK_THROWS_WITH(provider.preflight(fine), Catch::Contains("faultline certs DIR --agent NODE"));
  options.certs = "/nonexistent/certs";
  CHECK_THROWS_WITH(SwarmProvider(options).preflight(fine), Catch::Contains("no ca.pem there"));
  for (const auto* e : {&clock, &command, &fine})
    CHECK_THROWS_AS(SwarmProvider(options).preflight(*e), CapabilityError);
}

TEST_CASE("swarm: --agent wants NODE=ADDRESS[:PORT]") {
  RunOptions o;
  o.swarm_agents = {"fl-swarm-node2=198.19.250.22:9000"};
  o.agent_certs = "/certs";
  auto s = swarm_options(o);
  CHECK(s.agents.at("fl-swarm-node2") == "198.19.250.22:9000");
  CHECK(s.tls().cert == "/certs/controller.pem");
  CHECK(s.tls().key == "/certs/controller-key.pem");
  o.swarm_agents = {"198.19.250.22"};
  CHECK_THROWS_WITH(swarm_options(o), Catch::Contains("NODE=ADDRESS[:PORT]"));
}
