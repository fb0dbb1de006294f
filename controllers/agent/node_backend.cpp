#include "controllers/agent/node_backend.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "controllers/compose/compose_topology.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/run/local_actuator.hpp"
#include "injector/capabilities.hpp"
#include "injector/links.hpp"
#include "injector/sweep.hpp"

namespace faultline::agent {

namespace fs = std::filesystem;

std::string docker_socket_path(const std::string& url) {
  const std::string scheme = "unix://";
  if (url.rfind(scheme, 0) == 0) return url.substr(scheme.size());
  if (url.find("://") != std::string::npos)
    throw std::invalid_argument(
        "--docker " + url + ": only the local dockerd's unix socket (unix:///var/run/docker.sock)");
  return url;
}

// The namespaces a step may name on this node, opened once each.
class DockerNodeBackend::NodeTopology final : public Topology {
 public:
  NodeTopology(compose::DockerClient* docker, const NodeOptions& options)
      : docker_(docker), options_(options) {}

  const TopologyPlan& plan() const override { return plan_; }
  const injector::NamespaceFd& netns(const std::string& name) const override {
    return open(name).fd;
  }
  std::shared_ptr<injector::NetlinkSocket> socket(const std::string& name) const override {
    return open(name).socket;
  }
  const injector::NamespaceFd& host(const std::string& region,
                                    const std::string& host) const override {
    throw std::logic_error("an agent has no hosts by region (asked for " + host + "@" + region +
                           ")");
  }
  // A container's namespace is replaced when the container now runs as another process.
  bool replaced(const std::string& name) const override {
    const auto at = name.rfind('@');
    if (at == std::string::npos || !docker_) return false;
    try {
      const auto c = docker_->inspect(name.substr(0, at));
      return !c.running || std::to_string(c.pid) != name.substr(at + 1);
    } catch (const compose::DockerError&) {
      return true;
    }
  }

  // A container that restarted since the controller read the inventory is
  // acted on in its new namespace, as the compose provider does.
  std::string current(const std::string& planned) const override {
    const auto at = planned.rfind('@');
    if (at == std::string::npos || !docker_) return planned;
    try {
      const auto c = docker_->inspect(planned.substr(0, at));
      if (c.running && c.pid != 0) return planned.substr(0, at) + "@" + std::to_string(c.pid);
    } catch (const compose::DockerError&) {
    }
    return planned;
  }

  struct Opened {
    injector::NamespaceFd fd;
    std::shared_ptr<injector::NetlinkSocket> socket;
    bool named = false;
  };

  // Opens the namespace a step names, or refuses one this agent may not act in.
  const Opened& open(const std::string& name) const {
    if (auto it = opened_.find(name); it != opened_.end()) return it->second;
    Opened o;
    const auto at = name.rfind('@');
    if (at != std::string::npos) {
      const std::string container = name.substr(0, at), pid = name.substr(at + 1);
      if (!docker_)
        throw std::invalid_argument("namespace " + name + ": this agent has no dockerd (--docker)");
      const compose::Container c = docker_->inspect(container);
      if (c.label(compose::kRegionLabel).empty())
        throw std::invalid_argument("refusing to act in container " + container +
                                    ": it carries no " + compose::kRegionLabel + " label");
      if (!c.running || std::to_string(c.pid) != pid)
        throw std::invalid_argument("namespace " + name + ": container " + container +
                                    (c.running ? " now runs as pid " + std::to_string(c.pid)
                                               : std::string(" is not running")) +
                                    " (read the agent's inventory again)");
      o.fd = injector::NamespaceFd::open_path("/proc/" + pid + "/ns/net");
    } else {
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        throw std::invalid_argument("\"" + name + "\" is no namespace name");
      if (name.rfind(options_.netns_prefix, 0) != 0)
        throw std::invalid_argument("refusing to act in namespace " + name +
                                    ": this agent acts only in those named " +
                                    options_.netns_prefix + "*");
      if (!injector::named_namespace_exists(name))
        throw std::invalid_argument("no namespace " + name + " on this node (/run/netns/" + name +
                                    ")");
      o.fd = injector::NamespaceFd::open_named(name);
      o.named = true;
    }
    o.socket = std::make_shared<injector::NetlinkSocket>(injector::NetlinkSocket::open_in(o.fd));
    return opened_.emplace(name, std::move(o)).first->second;
  }

 private:
  compose::DockerClient* docker_;
  const NodeOptions& options_;
  TopologyPlan plan_;
  mutable std::map<std::string, Opened> opened_;
};

// The provider LocalActuator acts through: the node's namespaces, claimed
// by noting the named ones for a later sweep. Services are not its concern
// (process steps go to the dockerd directly).
class DockerNodeBackend::NodeProvider final : public Provider {
 public:
  NodeProvider(NodeTopology& topology, std::string state_dir)
      : topology_(topology), state_(std::move(state_dir)) {}

  void preflight(const Experiment&) override { unused("preflight"); }
  TopologyPlan plan(const Experiment&, const std::string&) override {
    unused("plan");
    return {};
  }
  std::vector<std::string> describe(const TopologyPlan&) const override { return {}; }
  void journal(JournalEntry&) const override {}
  void build(RunJournal&) override { unused("build"); }
  Topology& topology() override { return topology_; }
  void start_services(const Experiment&, const ServiceContext&) override {
    unused("start_services");
  }
  Service& service(const std::string& region, const std::string& name) override {
    throw std::invalid_argument("process steps name their container (" + name + "@" + region + ")");
  }
  void claim(const std::string& netns) override {
    if (noted_.count(netns)) return;
    // Written before the change, so a sweep after a crash finds it: a named
    // namespace by its name, a container's by the container's name.
    if (topology_.open(netns).named)
      std::ofstream(state_ / "namespaces", std::ios::app) << netns << "\n";
    else
      std::ofstream(state_ / "touched", std::ios::app) << netns.substr(0, netns.rfind('@')) << "\n";
    noted_.insert(netns);
  }
  void forget() { noted_.clear(); }

 private:
  [[noreturn]] static void unused(const char* what) {
    throw std::logic_error(std::string("an agent's provider has no ") + what);
  }
  NodeTopology& topology_;
  fs::path state_;
  std::set<std::string> noted_;
};

DockerNodeBackend::DockerNodeBackend(NodeOptions options) : options_(std::move(options)) {
  std::error_code ec;
  fs::create_directories(options_.state_dir, ec);
  if (ec) throw std::runtime_error("--state " + options_.state_dir + ": " + ec.message());
  if (!options_.docker_socket.empty()) {
    docker_.emplace(options_.docker_socket, std::chrono::seconds(10));
    if (!docker_->available()) {
      spdlog::warn("no dockerd answers on {}: serving named namespaces only",
                   options_.docker_socket);
      docker_.reset();
    }
  }
  topology_ = std::make_unique<NodeTopology>(docker_ ? &*docker_ : nullptr, options_);
  provider_ = std::make_unique<NodeProvider>(*topology_, options_.state_dir);
  // What a controller's "auto" picks on this kernel: netem where sch_netem
  // is, else the NFQUEUE engine (a kernel without netem).
  default_engine_ =
      injector::has_capability(injector::probe_capabilities(), "netem") ? "netem" : "nfqueue";
}

DockerNodeBackend::~DockerNodeBackend() = default;

bool DockerNodeBackend::docker_available() { return docker_.has_value(); }

std::unique_ptr<Actuator> DockerNodeBackend::actuator(const std::string& engine,
                                                      std::uint64_t seed) {
  return std::make_unique<LocalActuator>(
      *provider_, engine == "auto" ? default_engine_ : engine, seed,
      [](const std::string& region) -> std::string {
        throw std::invalid_argument("no clock faults through the agent (region " + region + ")");
      },
      options_.state_dir);
}

nlohmann::json DockerNodeBackend::inventory() {
  nlohmann::json containers = nlohmann::json::array();
  if (docker_available()) {
    for (const auto& c : docker_->containers_with_label(compose::kRegionLabel)) {
      if (!c.running || c.pid == 0) continue;
      nlohmann::json interfaces = nlohmann::json::array();
      try {
        auto fd = injector::NamespaceFd::open_path("/proc/" + std::to_string(c.pid) + "/ns/net");
        auto sock = injector::NetlinkSocket::open_in(fd);
        for (const auto& link : injector::list_link_addresses(sock))
          interfaces.push_back({{"name", link.name}, {"addresses", link.addresses}});
      } catch (const std::exception& e) {
        spdlog::warn("inventory: container {}: {}", c.name, e.what());
        continue;  // gone meanwhile
      }
      containers.push_back({{"id", c.id},
                            {"name", c.name},
                            {"pid", c.pid},
                            {"labels", c.labels},
                            {"interfaces", interfaces}});
    }
  }
  nlohmann::json out = {{"containers", containers}, {"docker", docker_available()}};
  if (!options_.netns_prefix.empty())
    out["namespaces"] = injector::list_named_namespaces(options_.netns_prefix);
  return out;
}

void DockerNodeBackend::container(const std::string& action, const std::string& id) {
  if (!docker_available()) throw std::invalid_argument("this agent has no dockerd (--docker)");
  auto wait_for = [&](bool running) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (docker_->inspect(id).running != running) {
      if (std::chrono::steady_clock::now() > deadline)
        throw compose::DockerError("container " + id +
                                   (running ? " did not start" : " did not stop") + " within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  };
  if (docker_->inspect(id).label(compose::kRegionLabel).empty())
    throw std::invalid_argument("refusing to act on container " + id + ": it carries no " +
                                compose::kRegionLabel + " label");
  spdlog::info("container {}: {}", id.size() == 64 ? id.substr(0, 12) : id, action);
  // Noted before the change, so a sweep after a crash starts or unpauses it.
  if (action == "kill" || action == "pause" || action == "restart")
    std::ofstream(fs::path(options_.state_dir) / "containers", std::ios::app) << id << "\n";
  if (action == "kill") {
    docker_->kill(id);
  } else if (action == "pause") {
    docker_->pause(id);
  } else if (action == "resume") {
    docker_->unpause(id);
  } else if (action == "start") {
    docker_->start(id);
    wait_for(true);
  } else if (action == "restart") {
    docker_->kill(id);
    wait_for(false);
    docker_->start(id);
    wait_for(true);
  } else {
    throw std::invalid_argument("unknown container action " + action);
  }
}

namespace {

// The lines of a state file, once each; the file is gone after.
std::set<std::string> take_noted(const fs::path& file) {
  std::set<std::string> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.insert(line);
  std::error_code ec;
  fs::remove(file, ec);
  return out;
}

}  // namespace

std::vector<std::string> DockerNodeBackend::sweep() { return sweep_noted(true); }

std::vector<std::string> DockerNodeBackend::sweep_left_behind() { return sweep_noted(false); }

std::vector<std::string> DockerNodeBackend::sweep_noted(bool every_labeled_container) {
  std::vector<std::string> removed;
  const fs::path state(options_.state_dir);
  const auto killed_or_paused = take_noted(state / "containers");
  const auto touched = take_noted(state / "touched");
  const auto named = take_noted(state / "namespaces");
  provider_->forget();
  if (docker_available()) {
    // The containers killed or paused first: they come back as they were
    // before the sweep looks into their namespaces.
    for (const auto& id : killed_or_paused) {
      try {
        const compose::Container c = docker_->inspect(id);
        if (c.paused) {
          docker_->unpause(id);
          removed.push_back("the pause of container " + c.name);
        } else if (!c.running) {
          container("start", id);
          removed.push_back("the kill of container " + c.name + " (started it again)");
        }
      } catch (const std::exception& e) {
        spdlog::warn("sweep: container {}: {}", id, e.what());
      }
    }
    std::vector<compose::Container> look_in;
    if (every_labeled_container) {
      look_in = docker_->containers_with_label(compose::kRegionLabel);
    } else {
      for (const auto& name : touched) try {
          look_in.push_back(docker_->inspect(name));
        } catch (const compose::DockerError&) {
          // Removed meanwhile: its faults went with it.
        }
    }
    for (const auto& c : look_in) {
      if (!c.running || c.pid == 0) continue;
      auto fd = injector::NamespaceFd::open_path("/proc/" + std::to_string(c.pid) + "/ns/net");
      for (const auto& line : injector::sweep_faults(fd, "container " + c.name))
        removed.push_back(line + " in container " + c.name);
    }
  }
  for (const auto& name : named) {
    if (!injector::named_namespace_exists(name)) continue;
    for (const auto& line : injector::sweep_faults(injector::NamespaceFd::open_named(name), name))
      removed.push_back(line + " in " + name);
  }
  return removed;
}

}  // namespace faultline::agent
