#include <stdexcept>

#include "controllers/compose/compose_provider.hpp"
#include "controllers/providers/namespaces_provider.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/run/experiment_run.hpp"
#include "controllers/swarm/swarm_provider.hpp"

namespace faultline {

const std::vector<ProviderKind>& provider_kinds() {
  static const std::vector<ProviderKind> kinds{
      {"namespaces", "network namespaces faultline builds, one per region and host", true,
       [](const RunOptions& o) { return std::make_unique<NamespacesProvider>(o.results_root); },
       NamespacesProvider::recover},
      {"compose", "the containers of a running compose stack", false,
       [](const RunOptions& o) {
         return std::make_unique<compose::ComposeProvider>(o.docker_socket, o.compose_project);
       },
       compose::ComposeProvider::recover},
      {"swarm", "the tasks of a Docker Swarm stack, faults through each node's faultline-agent", false,
       [](const RunOptions& o) {
         return std::make_unique<swarm::SwarmProvider>(swarm::swarm_options(o));
       },
       swarm::SwarmProvider::recover},
  };
  return kinds;
}

std::vector<std::string> provider_names() {
  std::vector<std::string> names;
  for (const auto& kind : provider_kinds()) names.push_back(kind.name);
  return names;
}

const ProviderKind& provider_kind(const std::string& name) {
  for (const auto& kind : provider_kinds())
    if (kind.name == name) return kind;
  std::string known;
  for (const auto& n : provider_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown provider '" + name + "' (one of: " + known + ")");
}

}  // namespace faultline
