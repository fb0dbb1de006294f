#include "controllers/experiment/client_kinds.hpp"

#include <algorithm>

#include "controllers/experiment/http_client_table.hpp"
#include "controllers/experiment/sections.hpp"

namespace faultline {

namespace {

// client = "exec": the user's own program (docs/clients.md). Its keys live in
// [workload] itself, as they did before client kinds had tables.
void read_exec(const ClientTable& in, WorkloadSpec& w) {
  Reader& r = in.reader;
  const toml::table& t = in.workload;
  if (auto program = r.string(t, "program", true)) {
    if (auto found = in.resolver(*program, in.base_dir))
      w.exec.program = *found;
    else
      r.error(*t.get("program"),
              "client program '" + *program +
                  "' not found (looked next to faultline and on PATH; a path with '/' is "
                  "relative to the experiment file): build it or fix the path");
  }
  if (auto args = r.strings(t, "args")) {
    const toml::node& at = *t.get("args");
    for (auto& arg : *args) arg = substitute_vars(r, at, arg, in.experiment);
    check_placeholders(r, at, *args, in.experiment, "args");
    w.exec.args = *args;
  }
  if (auto user = r.string(t, "user")) w.exec.user = *user;
}

// The user's program finds the system from its arguments: it needs only
// something to talk to.
std::vector<std::string> validate_exec(const Experiment& e) {
  if (e.services.empty() && e.workload.written) return {"a workload needs a [[service]] to talk to"};
  return {};
}

// client = "http": request templates in [workload.http] (http_client_table.hpp).
void read_http(const ClientTable& in, WorkloadSpec& w) {
  Reader& r = in.reader;
  // [workload] service and port aim the reference store's client; this
  // one's are in its table, and a key that aims nothing would mislead.
  for (const char* key : {"service", "port", "state_service", "state_port"})
    if (const toml::node* node = in.workload.get(key))
      r.error(*node, std::string("'") + key +
                         "' of [workload] is for client = \"kv-http\"; the http client's service "
                         "and port are in [workload.http]");
  if (in.own == nullptr) {
    r.error(position_of(in.workload.source()),
            "client = \"http\" needs a [workload.http] table: its service, port and a request "
            "template per operation (docs/clients.md)");
    return;
  }
  read_http_client(r, *in.own, in.experiment, w.kind, w.http);
}

std::vector<std::string> validate_http(const Experiment& e) {
  const HttpClientSpec& http = e.workload.http;
  if (e.services.empty()) return {"a workload needs a [[service]] to talk to"};
  if (!http.service.empty() && e.find_service(http.service) == nullptr) {
    std::vector<std::string> names;
    for (const auto& s : e.services) names.push_back(s.name);
    std::string problem = "[workload.http] service '" + http.service + "' is not a [[service]]";
    if (auto guess = nearest(http.service, names)) problem += "; did you mean '" + *guess + "'?";
    return {problem};
  }
  return {};
}

// The reference store's HTTP API: the workload's service in each region, the
// state service for final reads and customer sign-up.
std::vector<std::string> validate_kv_http(const Experiment& e) {
  const WorkloadSpec& w = e.workload;
  std::vector<std::string> problems;
  if (!e.services.empty() && e.find_service(w.service) == nullptr) {
    if (w.written)
      problems.push_back("workload targets unknown service '" + w.service + "'");
    else
      problems.push_back("the workload talks to service '" + w.service +
                         "' by default, and there is none: name one in [workload] service = "
                         "\"...\"");
  }
  if (!w.state_service.empty() && e.find_service(w.state_service) == nullptr)
    problems.push_back("workload 'state_service' names unknown service '" + w.state_service + "'");
  if (w.written && e.services.empty()) problems.push_back("a workload needs a [[service]] to talk to");
  return problems;
}

// client = "redis": where each region's sessions send writes and reads.
// "local", a region of the experiment, or (reads, final reads) "primary":
// where writes go.
void read_redis_placement(Reader& r, const toml::table& t, const char* key, bool primary_allowed,
                          const Experiment& e, std::string& into) {
  auto placement = r.string(t, key);
  if (!placement) return;
  std::vector<std::string> regions;
  for (const auto& region : e.regions) regions.push_back(region.name);
  const bool known = *placement == "local" || (primary_allowed && *placement == "primary") ||
                     e.find_region(*placement) != nullptr;
  if (known) {
    into = *placement;
    return;
  }
  std::vector<std::string> choices{"local"};
  if (primary_allowed) choices.push_back("primary");
  choices.insert(choices.end(), regions.begin(), regions.end());
  std::string message = "[workload.redis] " + std::string(key) + " = \"" + *placement +
                        "\" is not a region of the experiment; the choices are " + listed(choices);
  if (auto guess = nearest(*placement, choices)) message += " (did you mean '" + *guess + "'?)";
  r.error(*t.get(key), message);
}

void read_redis(const ClientTable& in, WorkloadSpec& w) {
  Reader& r = in.reader;
  // [workload]'s service and port are the reference store's: silently
  // ignoring them would point the sessions somewhere the file does not say.
  for (const char* key : {"service", "port", "state_service", "state_port"})
    if (const toml::node* node = in.workload.get(key))
      r.error(*node, std::string("'") + key + "' in [workload] is for client = \"kv-http\"; " +
                         "the redis client's servers are [workload.redis] service and port");
  if (in.own == nullptr) return;
  const toml::table& t = *in.own;
  RedisClientSpec& redis = w.redis;
  if (auto service = r.string(t, "service")) {
    if (in.experiment.find_service(*service) != nullptr) {
      redis.service = *service;
    } else {
      std::vector<std::string> names;
      for (const auto& s : in.experiment.services) names.push_back(s.name);
      std::string message = "[workload.redis] service = \"" + *service + "\" names no [[service]]";
      if (auto guess = nearest(*service, names)) message += "; did you mean '" + *guess + "'?";
      r.error(*t.get("service"), message);
    }
  }
  if (auto port = r.integer(t, "port", 1, 65535)) redis.port = static_cast<std::uint16_t>(*port);
  read_redis_placement(r, t, "writes", false, in.experiment, redis.writes);
  read_redis_placement(r, t, "reads", true, in.experiment, redis.reads);
  read_redis_placement(r, t, "final_reads", true, in.experiment, redis.final_reads);
}

// The service holding the data, also when [workload.redis] leaves it at its
// default.
std::vector<std::string> validate_redis(const Experiment& e) {
  if (e.services.empty()) return {"a workload needs a [[service]] to talk to"};
  if (e.find_service(e.workload.redis.service) == nullptr)
    return {"the redis client talks to service '" + e.workload.redis.service +
            "' by default, and there is none: name the service holding the data in "
            "[workload.redis] service = \"...\""};
  return {};
}

}  // namespace

bool ClientKind::carries(std::string_view workload) const {
  return std::find(workloads.begin(), workloads.end(), workload) != workloads.end();
}

const std::vector<const ClientKind*>& client_kinds() {
  static const ClientKind kv_http{
      .name = "kv-http",
      .summary = "the reference store's HTTP API (PUT and GET /kv/{key}, session tokens)",
      .workloads = {"kv"},
      .validate = validate_kv_http,
  };
  static const ClientKind exec{
      .name = "exec",
      .summary = "your own client program, any language, over JSON lines (docs/clients.md)",
      .workloads = {"kv", "register", "set", "list-append"},
      .workload_keys = {"program", "args", "user"},
      .read = read_exec,
      .validate = validate_exec,
  };
  static const ClientKind redis{
      .name = "redis",
      .summary =
          "Redis over RESP (hiredis): GET/SET and a Lua cas, SADD/SMEMBERS, MULTI/EXEC of "
          "RPUSH and LRANGE; each kind of operation sent to the server you place it on",
      .workloads = {"kv", "register", "set", "list-append"},
      .keys =
          {
              {.name = "service",
               .type = KeyType::string,
               .description = "the [[service]] holding the data: each region's server is that "
                              "service's host there",
               .default_value = "\"redis\""},
              {.name = "port",
               .type = KeyType::integer,
               .description = "the servers' port",
               .default_value = "6379",
               .minimum = "1",
               .maximum = "65535"},
              {.name = "writes",
               .type = KeyType::string,
               .description = "where writes go (write, cas, add, transactions that append): "
                              "\"local\", the session's own region's server, or a region's "
                              "name (the primary's)",
               .default_value = "\"local\""},
              {.name = "reads",
               .type = KeyType::string,
               .description = "where the sessions' reads go (and read-only transactions): "
                              "\"local\", a region's name, or \"primary\", where writes go",
               .default_value = "\"local\""},
              {.name = "final_reads",
               .type = KeyType::string,
               .description = "where each region's final reads go after the heal: \"local\" "
                              "(each region's own server: convergence judges the replicas), a "
                              "region's name, or \"primary\"; by default where `reads` go"},
          },
      .read = read_redis,
      .validate = validate_redis,
  };
  static const ClientKind http{
      .name = "http",
      .summary = "any HTTP API through request templates, no code: etcd, Consul, your REST service (docs/clients.md)",
      .workloads = {"kv", "register", "set"},
      .keys = http_client_keys(),
      .read = read_http,
      .validate = validate_http,
  };
  static const std::vector<const ClientKind*> kinds{&kv_http, &exec, &redis, &http};
  return kinds;
}

const ClientKind* find_client_kind(std::string_view name) {
  for (const ClientKind* kind : client_kinds())
    if (kind->name == name) return kind;
  return nullptr;
}

std::vector<std::string> client_kind_names() {
  std::vector<std::string> names;
  for (const ClientKind* kind : client_kinds()) names.push_back(kind->name);
  return names;
}

}  // namespace faultline
