#pragma once
// The compose provider: a running compose stack's containers as a run's
// topology. Nothing is created; faultline enters each container's network
// namespace through /proc/PID/ns/net and applies the same faults there that
// it applies to the namespaces it builds itself.
//
// The stack's containers carry two labels: faultline.region (the region's
// name) and faultline.host (a host of the experiment, or "gateway" for the
// container that routes the region's LAN to the WAN network). The gateway
// stands where the namespace provider's router stands: partitions and WAN
// faults go there, slow-db goes on the database host's own link.
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "controllers/compose/container_namespaces.hpp"
#include "controllers/compose/docker_client.hpp"
#include "controllers/topology/plan.hpp"
#include "controllers/topology/topology.hpp"

namespace faultline::compose {

inline constexpr const char* kRegionLabel = "faultline.region";
inline constexpr const char* kHostLabel = "faultline.host";
inline constexpr const char* kProjectLabel = "com.docker.compose.project";
inline constexpr const char* kGatewayHost = "gateway";

// The stack does not fit the experiment; the message says what to change.
class ComposeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "198.18.1.10", 24 -> "198.18.1.0/24" (IPv4 or IPv6); throws on a bad address.
std::string network_of(const std::string& address, int prefix);

// The plan for the experiment's regions and hosts from the stack's containers
// (pure, tested). A container's namespace is named "<container>@<pid>", so a
// restarted container gets a new name. Link names are left as the namespace
// provider's; discover() reads the real ones. `project` may be empty when
// only one compose project holds faultline regions.
TopologyPlan plan_from_containers(const std::vector<RegionInput>& regions,
                                  const std::vector<std::string>& hosts,
                                  const std::vector<Container>& containers,
                                  const std::string& project);

class ComposeTopology : public Topology {
 public:
  static std::unique_ptr<ComposeTopology> discover(DockerClient& docker,
                                                   const std::vector<RegionInput>& regions,
                                                   const std::vector<std::string>& hosts,
                                                   const std::string& project);

  const TopologyPlan& plan() const override { return plan_; }
  const injector::NamespaceFd& netns(const std::string& name) const override;
  std::shared_ptr<injector::NetlinkSocket> socket(const std::string& netns) const override;
  const injector::NamespaceFd& host(const std::string& region,
                                    const std::string& host) const override;
  bool replaced(const std::string& netns) const override;
  std::string current(const std::string& planned) const override;

  // The container behind a region's host ("gateway" included).
  const Container& container(const std::string& region, const std::string& host) const;
  // Reads a container again after it started anew: a new process, a new
  // namespace. Handles of the old namespace stay valid for reverting.
  void refresh(const std::string& region, const std::string& host);
  DockerClient& docker() { return docker_; }

 private:
  struct Node {
    Container container;
    std::string netns;  // the current "<container>@<pid>"
  };
  explicit ComposeTopology(DockerClient& docker) : docker_(docker) {}
  void open_namespace(const std::string& name, pid_t pid);
  const Node& node(const std::string& region, const std::string& host) const;
  void read_links();

  DockerClient& docker_;
  TopologyPlan plan_;
  std::map<std::pair<std::string, std::string>, Node> nodes_;
  // The namespace names of the discovery, which fault plans use: each one's
  // (region, host).
  std::map<std::string, std::pair<std::string, std::string>> planned_;
  ContainerNamespaces namespaces_{"container"};
};

}  // namespace faultline::compose
