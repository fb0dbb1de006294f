#include "controllers/swarm/swarm_cluster.hpp"

#include <algorithm>
#include <set>

namespace faultline::swarm {

namespace {

std::map<std::string, std::string> string_map(const nlohmann::json& j) {
  std::map<std::string, std::string> out;
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) out[k] = v.get<std::string>();
  return out;
}

const nlohmann::json& at_path(const nlohmann::json& j, std::initializer_list<const char*> path) {
  static const nlohmann::json null;
  const nlohmann::json* at = &j;
  for (const char* key : path) {
    if (!at->is_object()) return null;
    auto it = at->find(key);
    if (it == at->end()) return null;
    at = &*it;
  }
  return *at;
}

std::string text_at(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const auto& v = at_path(j, path);
  return v.is_string() ? v.get<std::string>() : "";
}

// "198.18.1.130/24" -> ("198.18.1.130", 24)
std::pair<std::string, int> split_cidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) throw SwarmError("swarm reported an address without a prefix: '" + cidr + "'");
  return {cidr.substr(0, slash), std::stoi(cidr.substr(slash + 1))};
}

std::string host_of(const std::string& address_port) {
  auto colon = address_port.rfind(':');
  std::string host = colon == std::string::npos ? address_port : address_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return host;
}

}  // namespace

std::string SwarmTask::label(const std::string& key) const {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

std::vector<SwarmNode> parse_nodes(const nlohmann::json& nodes) {
  if (!nodes.is_array()) throw SwarmError("the manager's /nodes answer is not a list");
  std::vector<SwarmNode> out;
  for (const auto& n : nodes) {
    SwarmNode node;
    node.id = n.value("ID", "");
    node.hostname = text_at(n, {"Description", "Hostname"});
    node.role = text_at(n, {"Spec", "Role"});
    node.ready = text_at(n, {"Status", "State"}) == "ready";
    node.labels = string_map(at_path(n, {"Spec", "Labels"}));
    node.address = text_at(n, {"Status", "Addr"});
    // A manager may report 0.0.0.0 as its status address; the address it
    // serves the swarm on is where its agent is.
    const std::string manager = text_at(n, {"ManagerStatus", "Addr"});
    if ((node.address.empty() || node.address == "0.0.0.0") && !manager.empty())
      node.address = host_of(manager);
    if (node.id.empty()) throw SwarmError("the manager reported a node without an ID");
    out.push_back(std::move(node));
  }
  return out;
}

std::vector<SwarmTask> parse_tasks(const nlohmann::json& tasks) {
  if (!tasks.is_array()) throw SwarmError("the manager's /tasks answer is not a list");
  std::vector<SwarmTask> out;
  for (const auto& t : tasks) {
    SwarmTask task;
    task.id = t.value("ID", "");
    task.service_id = t.value("ServiceID", "");
    task.node_id = t.value("NodeID", "");
    task.state = text_at(t, {"Status", "State"});
    task.desired_state = t.value("DesiredState", "");
    task.container_id = text_at(t, {"Status", "ContainerStatus", "ContainerID"});
    const auto& pid = at_path(t, {"Status", "ContainerStatus", "PID"});
    task.pid = pid.is_number_integer() ? pid.get<pid_t>() : 0;
    task.labels = string_map(at_path(t, {"Spec", "ContainerSpec", "Labels"}));
    if (const auto& nets = at_path(t, {"NetworksAttachments"}); nets.is_array())
      for (const auto& a : nets) {
        const std::string name = text_at(a, {"Network", "Spec", "Name"});
        if (const auto& addresses = at_path(a, {"Addresses"}); addresses.is_array())
          for (const auto& address : addresses)
            if (address.is_string()) task.networks.push_back({name, address.get<std::string>()});
      }
    out.push_back(std::move(task));
  }
  return out;
}

std::vector<AgentContainer> parse_inventory(const nlohmann::json& inventory) {
  const auto& list = at_path(inventory, {"containers"});
  if (!list.is_array()) throw SwarmError("an agent's inventory has no list of containers");
  std::vector<AgentContainer> out;
  for (const auto& c : list) {
    AgentContainer container;
    container.id = c.value("id", "");
    container.name = c.value("name", "");
    container.pid = c.value("pid", 0);
    container.labels = string_map(at_path(c, {"labels"}));
    if (const auto& ifs = at_path(c, {"interfaces"}); ifs.is_array())
      for (const auto& i : ifs) {
        AgentInterface in{i.value("name", ""), {}};
        if (const auto& a = at_path(i, {"addresses"}); a.is_array())
          for (const auto& address : a)
            if (address.is_string()) in.addresses.push_back(address.get<std::string>());
        container.interfaces.push_back(std::move(in));
      }
    out.push_back(std::move(container));
  }
  return out;
}

std::vector<compose::Container> containers_of(const std::vector<SwarmTask>& tasks,
                                              const std::vector<AgentContainer>& inventory) {
  std::vector<compose::Container> out;
  for (const auto& task : tasks) {
    if (task.desired_state != "running" || task.label(compose::kRegionLabel).empty()) continue;
    compose::Container c;
    c.id = task.container_id;
    c.name = "task-" + task.id.substr(0, 12);
    c.pid = task.pid;
    for (const auto& listed : inventory)
      if (!c.id.empty() && listed.id == c.id) {
        c.name = listed.name;
        if (listed.pid != 0) c.pid = listed.pid;
      }
    c.running = task.state == "running" && c.pid != 0;
    c.labels = task.labels;
    c.labels[compose::kProjectLabel] = task.label(kStackLabel);
    const std::string fixed = task.label(kAddressLabel);
    for (const auto& attachment : task.networks) {
      auto [address, prefix] = split_cidr(attachment.address);
      compose::Endpoint e;
      e.network = attachment.network;
      if (address.find(':') != std::string::npos) {
        e.ipv6 = address;
        e.prefix_v6 = prefix;
      } else {
        e.ipv4 = address;
        e.prefix_v4 = prefix;
        if (!fixed.empty() &&
            compose::network_of(fixed, prefix) == compose::network_of(address, prefix))
          e.ipv4 = fixed;
      }
      // One endpoint a network: IPv6 next to IPv4.
      bool merged = false;
      for (auto& known : c.endpoints)
        if (known.network == e.network) {
          if (!e.ipv6.empty()) known.ipv6 = e.ipv6, known.prefix_v6 = e.prefix_v6;
          if (!e.ipv4.empty()) known.ipv4 = e.ipv4, known.prefix_v4 = e.prefix_v4;
          merged = true;
        }
      if (!merged) c.endpoints.push_back(e);
    }
    out.push_back(std::move(c));
  }
  return out;
}

std::map<std::string, std::string> nodes_of_namespaces(
    const std::vector<SwarmTask>& tasks, const std::vector<compose::Container>& containers) {
  std::map<std::string, std::string> out;
  for (const auto& c : containers)
    for (const auto& t : tasks)
      if (!c.id.empty() && t.container_id == c.id)
        out[c.name + "@" + std::to_string(c.pid)] = t.node_id;
  return out;
}

void assign_links(TopologyPlan& plan, const std::vector<AgentContainer>& inventory) {
  auto link_holding = [&](const std::string& netns, const std::string& address) {
    for (const auto& c : inventory) {
      if (c.name + "@" + std::to_string(c.pid) != netns) continue;
      for (const auto& i : c.interfaces)
        for (const auto& a : i.addresses)
          if (a.substr(0, a.find('/')) == address) return i.name;
      throw SwarmError("container " + c.name + " holds no link with its address " + address +
                       " (its agent's inventory); did faultline-netinit add it (--address)?");
    }
    throw SwarmError("no agent lists the container of namespace " + netns +
                     "; is faultline-agent running on its node?");
  };
  for (auto& region : plan.regions) {
    region.wan_link = link_holding(region.router_netns, region.wan_v4);
    for (auto& h : region.hosts) h.link = link_holding(h.netns, h.ipv4);
  }
}

namespace {
template <typename It>
std::string name_of(It it) { return it->first + "=" + it->second; }
}  // namespace

std::vector<AgentAddress> agent_addresses(const std::vector<SwarmNode>& nodes,
                                          const std::map<std::string, std::string>& overrides,
                                          int port) {
  std::set<std::string> known;
  for (const auto& n : nodes) known.insert(n.hostname);
  for (const auto& [name, address] : overrides)
    if (!known.count(name))
      throw SwarmError("--agent " + name + "=" + address + ": the swarm has no node named " + name +
                       " (docker node ls shows the names)");
  std::vector<AgentAddress> out;
  for (const auto& n : nodes) {
    AgentAddress a{n.hostname, n.address, port};
    if (auto it = overrides.find(n.hostname); it != overrides.end()) {
      // ADDRESS, ADDRESS:PORT, [IPV6]:PORT or a bare IPv6 address.
      const std::string& given = it->second;
      std::string port_text;
      if (!given.empty() && given.front() == '[') {
        auto close = given.find(']');
        a.address = given.substr(1, close == std::string::npos ? std::string::npos : close - 1);
        if (close != std::string::npos && close + 1 < given.size() && given[close + 1] == ':')
          port_text = given.substr(close + 2);
      } else if (std::count(given.begin(), given.end(), ':') == 1) {
        a.address = given.substr(0, given.find(':'));
        port_text = given.substr(given.find(':') + 1);
      } else {
        a.address = given;
      }
      if (!port_text.empty()) {
        try {
          a.port = std::stoi(port_text);
        } catch (const std::exception&) {
          throw SwarmError("--agent " + name_of(it) + ": '" + port_text + "' is no port");
        }
      }
    }
    if (a.address.empty())
      throw SwarmError("node " + n.hostname + " reports no address; give its agent's with --agent " +
                       n.hostname + "=ADDRESS");
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace faultline::swarm
