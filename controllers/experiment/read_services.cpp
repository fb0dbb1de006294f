// [vars] and [[service]]: the programs each region runs, their commands with
// placeholders and variables filled in, their users and health checks.
#include <algorithm>
#include <cctype>

#include "controllers/experiment/section_keys.hpp"
#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

const Keys kPlaceholders{"region", "geo",     "addr",     "addr6",   "peers",
                         "peers6", "results", "topology", "workdir"};

}  // namespace

// Replaces {vars.NAME} in one command argument.
std::string substitute_vars(Reader& r, const toml::node& at, const std::string& arg,
                            const Experiment& e, const std::string& what) {
  const std::string prefix = "{vars.";
  std::string out;
  std::size_t i = 0;
  for (std::size_t open; (open = arg.find(prefix, i)) != std::string::npos;) {
    const std::size_t close = arg.find('}', open);
    if (close == std::string::npos) break;
    const std::string name = arg.substr(open + prefix.size(), close - open - prefix.size());
    out += arg.substr(i, open - i);
    if (auto it = e.vars.find(name); it != e.vars.end()) {
      out += it->second;
    } else {
      std::vector<std::string> names;
      for (const auto& [n, v] : e.vars) names.push_back(n);
      std::string msg = "unknown variable '{vars." + name + "}' in " + what;
      if (auto guess = nearest(name, names)) msg += "; did you mean '{vars." + *guess + "}'?";
      r.error(at, msg + " (variables are defined in [vars])");
    }
    i = close + 1;
  }
  return out + arg.substr(i);
}

void check_placeholders(Reader& r, const toml::node& at, const std::vector<std::string>& args,
                        const Experiment& e, const std::string& what) {
  for (const auto& arg : args) {
    for (size_t open = arg.find('{'); open != std::string::npos; open = arg.find('{', open + 1)) {
      size_t close = arg.find('}', open);
      std::string name =
          arg.substr(open + 1, close == std::string::npos ? std::string::npos : close - open - 1);
      const auto colon = name.find(':');
      const std::string base = name.substr(0, colon);
      if (close != std::string::npos && colon != std::string::npos &&
          (base == "addr" || base == "addr6")) {
        // {addr:HOST} or {addr:HOST@REGION}
        std::string host = name.substr(colon + 1);
        if (const auto at_sign = host.find('@'); at_sign != std::string::npos) {
          const std::string region = host.substr(at_sign + 1);
          host = host.substr(0, at_sign);
          if (e.find_region(region) == nullptr)
            r.error(at, "placeholder '{" + name + "}' names unknown region '" + region + "'");
        }
        if (std::find(e.hosts.begin(), e.hosts.end(), host) == e.hosts.end())
          r.error(at, "placeholder '{" + name + "}' names unknown host '" + host + "'");
        continue;
      }
      if (close == std::string::npos ||
          std::find(kPlaceholders.begin(), kPlaceholders.end(), name) == kPlaceholders.end()) {
        std::string msg = "unknown placeholder '{" + name + "}' in " + what;
        if (auto guess = nearest(name, kPlaceholders)) msg += "; did you mean '{" + *guess + "}'?";
        r.error(at, msg);
      }
    }
  }
}

// [vars]: strings an experiment names once and uses in commands as
// {vars.NAME}; `faultline run --var NAME=VALUE` overrides them.
void read_vars(Reader& r, const toml::table& root, Experiment& e, const VarOverrides& overrides) {
  if (const toml::table* t = r.table(root, "vars")) {
    for (auto&& [key, value] : *t) {
      const std::string name(key.str());
      if (name.empty() || name.size() > 32 || !std::all_of(name.begin(), name.end(), [](char c) {
            return std::islower(static_cast<unsigned char>(c)) ||
                   std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
          }))
        r.error(position_of(key.source()),
                "variable name '" + name + "' must be lowercase letters, digits, '_' and '-'");
      if (auto v = value.value<std::string>(); v && value.is_string())
        e.vars[name] = *v;
      else
        r.error(value, "variable '" + name + "' must be a string");
    }
  }
  for (const auto& [name, value] : overrides) {
    if (e.vars.count(name) == 0) {
      std::vector<std::string> names;
      for (const auto& [n, v] : e.vars) names.push_back(n);
      std::string msg = "--var " + name + ": the experiment has no variable '" + name + "' in [vars]";
      if (auto guess = nearest(name, names)) msg += "; did you mean '" + *guess + "'?";
      r.error({1, 1}, msg);
      continue;
    }
    e.vars[name] = value;
  }
}

void read_services(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                   const ProgramResolver& resolver) {
  const toml::array* services = r.tables(root, "service");
  if (services == nullptr) return;
  for (const auto& node : *services) {
    const toml::table& t = *node.as_table();
    r.check_keys(t, "[[service]]", key_names(service_section_keys()));
    ServiceSpec s;
    s.where = position_of(t.source());
    s.name = r.string(t, "name", true).value_or("");
    if (!s.name.empty() && !valid_name(s.name, 32, true))
      r.error(*t.get("name"),
              "service name '" + s.name + "' must be lowercase letters, digits and '-'");
    if (!s.name.empty() && e.find_service(s.name) != nullptr)
      r.error(*t.get("name"), "service '" + s.name + "' is defined twice");
    if (auto host = r.string(t, "host", true)) {
      if (std::find(e.hosts.begin(), e.hosts.end(), *host) == e.hosts.end()) {
        std::string msg = "service '" + s.name + "' runs on unknown host '" + *host + "'";
        if (auto guess = nearest(*host, e.hosts)) msg += "; did you mean '" + *guess + "'?";
        r.error(*t.get("host"), msg);
      }
      s.host = *host;
    }
    if (auto command = r.strings(t, "command", true)) {
      const toml::node& cnode = *t.get("command");
      for (auto& arg : *command) arg = substitute_vars(r, cnode, arg, e);
      if (command->empty()) {
        r.error(cnode, "'command' must name a program");
      } else {
        check_placeholders(r, cnode, *command, e, "command");
        if (auto program = resolver((*command)[0], base_dir)) {
          s.program = *program;
        } else {
          r.error(cnode,
                  "program '" + (*command)[0] +
                      "' not found (looked next to faultline and on PATH; a path with '/' is "
                      "relative to the experiment file): build it or fix the path");
        }
        s.command = *command;
      }
    }
    if (const toml::node* hnode = t.get("health")) {
      if (const toml::table* h = hnode->as_table()) {
        r.check_keys(*h, "service health", key_names(find_key(service_section_keys(), "health")->fields));
        if (auto path = r.string(*h, "path")) {
          if (path->empty() || (*path)[0] != '/')
            r.error(*h->get("path"), "health 'path' must start with '/'");
          s.health.path = *path;
        }
        if (auto port = r.integer(*h, "port", 1, 65535, true))
          s.health.port = static_cast<std::uint16_t>(*port);
        if (auto timeout = r.duration(*h, "timeout", Duration(100), Duration(600000)))
          s.health.timeout = *timeout;
      } else {
        r.error(*hnode, "'health' must be a table such as { path = \"/health\", port = 8080 }");
      }
    }
    if (auto user = r.string(t, "user")) {
      if (user->empty() || !std::all_of(user->begin(), user->end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
          }))
        r.error(*t.get("user"), "'user' must be a user name such as \"nobody\"");
      s.user = *user;
    }
    if (auto limit = r.string(t, "log_limit")) {
      auto bytes = parse_size(*limit);
      if (!bytes || *bytes < 4096)
        r.error(*t.get("log_limit"), "'log_limit' = \"" + *limit +
                                         "\" is not a size of at least 4KiB; write e.g. \"64MiB\"");
      else
        s.log_limit = *bytes;
    }
    if (auto cell = r.string(t, "cell")) {
      if (!valid_cell_name(*cell))
        r.error(*t.get("cell"), "service '" + s.name + "': cell '" + *cell +
                                    "' must be lowercase letters, digits and '_'");
      else if (s.health.port == 0)
        r.error(*t.get("cell"), "service '" + s.name + "' serves cell '" + *cell +
                                    "' but has no health port: add health = { path = "
                                    "\"/health/deep\", port = ... } (the routers use that port)");
      for (const auto& other : e.services)
        if (other.cell == *cell)
          r.error(*t.get("cell"), "cell '" + *cell + "' is served by both service '" + other.name +
                                      "' and '" + s.name + "'");
      s.cell = *cell;
    }
    if (!s.name.empty()) e.services.push_back(s);
  }
}

}  // namespace faultline
