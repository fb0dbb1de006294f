#pragma once
// A user's compose file, read for what placing its services into regions
// needs: each service's name, how it joins the network, and how many
// containers it runs. Nothing else of the file is interpreted: the override
// faultline writes goes beside it, and docker-compose merges the two.
#include <stdexcept>
#include <string>
#include <vector>

namespace faultline::compose {

// The compose file or the placement cannot work; the message is one line
// naming the file or the service and the fix.
class OverrideError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ComposeService {
  std::string name;
  int line = 0;              // where the service starts in the file (1-based)
  std::string network_mode;  // "" when the service has networks of its own
  std::string container_name;
  std::vector<std::string> networks;  // the file's own networks it joins
  std::vector<std::string> aliases;   // its names on them (networks: X: {aliases: [...]})
  int replicas = 1;                   // `scale` or `deploy.replicas`
};

struct ComposeFile {
  std::string path;
  std::string version;                   // "" when the file names none (the Compose Specification)
  std::vector<ComposeService> services;  // in the file's order
  std::vector<std::string> networks;     // declared at the top level
  std::vector<std::string> external_networks;  // of those, the ones made outside the stack

  const ComposeService* service(const std::string& name) const;
  std::vector<std::string> service_names() const;
};

// Reads `text` (pure, tested); `path` names the file in errors. Anchors and
// merge keys (`<<: *common`) are followed, as docker-compose follows them.
ComposeFile read_compose_file(const std::string& text, const std::string& path);
ComposeFile load_compose_file(const std::string& path);

}  // namespace faultline::compose
