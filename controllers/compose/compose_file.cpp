#include "controllers/compose/compose_file.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace faultline::compose {

namespace {

// A key of a mapping, or of what it merges in (`<<: *common` or a list of
// them): yaml-cpp reads `<<` as an ordinary key, docker-compose as YAML 1.1's
// merge, where the mapping's own keys win.
YAML::Node lookup(const YAML::Node& map, const std::string& key, int depth = 0) {
  if (!map.IsMap() || depth > 16) return YAML::Node(YAML::NodeType::Undefined);
  const YAML::Node own = map[key];
  if (own.IsDefined()) return own;
  const YAML::Node merged = map["<<"];
  if (!merged.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
  if (merged.IsMap()) return lookup(merged, key, depth + 1);
  if (merged.IsSequence())
    for (const auto& m : merged) {
      YAML::Node found = lookup(m, key, depth + 1);
      if (found.IsDefined()) return found;
    }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::string where(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

std::string scalar(const YAML::Node& node, const std::string& path, const std::string& what) {
  if (!node.IsScalar()) throw OverrideError(where(path, node) + ": " + what + " must be a string");
  return node.as<std::string>();
}

int count(const YAML::Node& node, const std::string& path, const std::string& what) {
  try {
    return node.as<int>();
  } catch (const YAML::Exception&) {
    throw OverrideError(where(path, node) + ": " + what + " must be a whole number, got '" +
                        (node.IsScalar() ? node.as<std::string>() : std::string("a table")) + "'");
  }
}

ComposeService read_service(const YAML::Node& key, const YAML::Node& body,
                            const std::string& path) {
  ComposeService s;
  const std::string name = key.as<std::string>();
  s.name = name;
  s.line = key.Mark().line + 1;
  if (!body.IsMap() && !body.IsNull())
    throw OverrideError(where(path, body) + ": service '" + name + "' must be a mapping");
  if (!body.IsMap()) return s;
  if (auto mode = lookup(body, "network_mode"); mode.IsDefined())
    s.network_mode = scalar(mode, path, "service '" + name + "': network_mode");
  if (auto cname = lookup(body, "container_name"); cname.IsDefined())
    s.container_name = scalar(cname, path, "service '" + name + "': container_name");
  if (auto nets = lookup(body, "networks"); nets.IsDefined()) {
    if (nets.IsSequence())
      for (const auto& n : nets) s.networks.push_back(scalar(n, path, "a network's name"));
    else if (nets.IsMap())
      for (const auto& n : nets) {
        s.networks.push_back(n.first.as<std::string>());
        if (!n.second.IsMap()) continue;
        if (const YAML::Node aliases = n.second["aliases"];
            aliases.IsDefined() && aliases.IsSequence())
          for (const auto& a : aliases) s.aliases.push_back(scalar(a, path, "a network alias"));
      }
  }
  if (auto scale = lookup(body, "scale"); scale.IsDefined())
    s.replicas = count(scale, path, "service '" + name + "': scale");
  if (auto deploy = lookup(body, "deploy"); deploy.IsDefined() && deploy.IsMap())
    if (auto replicas = lookup(deploy, "replicas"); replicas.IsDefined())
      s.replicas = count(replicas, path, "service '" + name + "': deploy.replicas");
  return s;
}

}  // namespace

const ComposeService* ComposeFile::service(const std::string& name) const {
  for (const auto& s : services)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> ComposeFile::service_names() const {
  std::vector<std::string> names;
  for (const auto& s : services) names.push_back(s.name);
  return names;
}

namespace {

ComposeFile read_file(const std::string& text, const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw OverrideError(path + ":" + std::to_string(e.mark.line + 1) + ": not a compose file (" +
                        e.msg + "); docker-compose -f " + path + " config shows the same");
  }
  ComposeFile file;
  file.path = path;
  if (!root.IsMap())
    throw OverrideError(path +
                        ": not a compose file (no mapping at the top); it should start "
                        "with services:");
  if (const YAML::Node v = root["version"]; v.IsDefined())
    file.version = scalar(v, path, "version");
  const YAML::Node services = root["services"];
  if (!services.IsDefined() || !services.IsMap() || services.size() == 0)
    throw OverrideError(path +
                        ": no services: section (a compose file of version 2 or later "
                        "lists its services under services:)");
  for (const auto& entry : services) {
    const std::string name = entry.first.as<std::string>();
    if (name.rfind("x-", 0) == 0) continue;  // an extension field, not a service
    file.services.push_back(read_service(entry.first, entry.second, path));
  }
  if (const YAML::Node nets = root["networks"]; nets.IsDefined() && nets.IsMap())
    for (const auto& n : nets) {
      file.networks.push_back(n.first.as<std::string>());
      if (n.second.IsMap())
        if (const YAML::Node ext = n.second["external"];
            ext.IsDefined() && !(ext.IsScalar() && ext.as<std::string>() == "false"))
          file.external_networks.push_back(file.networks.back());
    }
  return file;
}

}  // namespace

ComposeFile read_compose_file(const std::string& text, const std::string& path) {
  try {
    return read_file(text, path);
  } catch (const YAML::Exception& e) {
    // A shape yaml-cpp cannot convert (a key that is a list, say).
    throw OverrideError(path + ":" + std::to_string(e.mark.line + 1) + ": not a compose file (" +
                        e.msg + "); docker-compose -f " + path + " config says where");
  }
}

ComposeFile load_compose_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw OverrideError(path + ": cannot read the compose file; check the path");
  std::stringstream text;
  text << in.rdbuf();
  return read_compose_file(text.str(), path);
}

}  // namespace faultline::compose
