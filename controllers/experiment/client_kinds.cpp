#include "controllers/experiment/client_kinds.hpp"

#include <algorithm>

#include "controllers/experiment/diagnostic.hpp"
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

// client = "postgres": the statements each workload kind runs, the names a
// [workload.postgres] statements table takes (docs/clients.md has their
// defaults).
struct StatementKey {
  const char* name;
  const char* workload;  // the workload kind that runs it; null: every kind
  const char* description;
};
const std::vector<StatementKey>& postgres_statement_keys() {
  static const std::vector<StatementKey> keys{
      {"setup", nullptr,
       "run on each new connection before its first operation (several statements allowed); "
       "the default creates the workload's table if absent"},
      {"read", "register",
       "read a register: $1 the key; the first column of the first row, an "
       "integer (no row: empty)"},
      {"write", "register", "write a register: $1 the key, $2 the value"},
      {"cas", "register",
       "compare-and-set: $1 the key, $2 expected, $3 new; ok when a row "
       "changed, fail (precondition) when none did"},
      {"cas_absent", "register",
       "compare-and-set expecting an empty key: $1 the key, $2 new; ok "
       "when a row was inserted, fail when none was"},
      {"add", "set", "add to a set: $1 the key, $2 the element"},
      {"read_set", "set", "read a set: $1 the key; the elements, one per row (first column)"},
      {"append", "list-append",
       "append to a list, inside the transaction: $1 the key, $2 the value"},
      {"read_list", "list-append",
       "read a list, inside the transaction: $1 the key; its elements "
       "in append order, one per row (first column)"},
  };
  return keys;
}

std::vector<KeySpec> postgres_keys() {
  std::vector<KeySpec> statements;
  for (const auto& k : postgres_statement_keys())
    statements.push_back({.name = k.name,
                          .description = k.workload == nullptr
                                             ? std::string(k.description)
                                             : std::string(k.workload) + ": " + k.description});
  return {
      {.name = "service",
       .description = "the [[service]] running PostgreSQL; each region's server is at that "
                      "service's host",
       .default_value = "\"postgres\""},
      {.name = "regions",
       .type = KeyType::strings,
       .description = "whose servers the clients try, in failover order (libpq's multi-host "
                      "connection with target_session_attrs=read-write: the first that accepts "
                      "writes serves); default every region, in file order"},
      {.name = "port",
       .type = KeyType::integer,
       .description = "the servers' port",
       .default_value = "5432",
       .minimum = "1",
       .maximum = "65535"},
      {.name = "database",
       .description = "the database to connect to",
       .default_value = "\"postgres\""},
      {.name = "user",
       .description = "the role to connect as, without a password (trust from the lab's addresses)",
       .default_value = "\"faultline\""},
      {.name = "isolation",
       .description = "the isolation level of every transaction (list-append's BEGIN, and every "
                      "statement's default_transaction_isolation)",
       .default_value = "\"read committed\"",
       .allowed = {"read committed", "repeatable read", "serializable"}},
      {.name = "statements",
       .type = KeyType::table,
       .description = "SQL replacing the default statements, by name; parameters are text",
       .fields = statements},
  };
}

void read_postgres(const ClientTable& in, WorkloadSpec& w) {
  if (in.own == nullptr) return;
  Reader& r = in.reader;
  const toml::table& t = *in.own;
  PostgresClientSpec& p = w.postgres;
  if (auto service = r.string(t, "service")) p.service = *service;
  if (auto regions = r.strings(t, "regions")) {
    const toml::node& at = *t.get("regions");
    for (std::size_t i = 0; i < regions->size(); ++i) {
      const std::string& region = (*regions)[i];
      if (in.experiment.find_region(region) == nullptr)
        r.error(at, "[workload.postgres] regions: unknown region '" + region +
                        "'; the regions are " + listed([&] {
                          std::vector<std::string> names;
                          for (const auto& g : in.experiment.regions) names.push_back(g.name);
                          return names;
                        }()));
      else if (std::find(regions->begin(), regions->begin() + static_cast<std::ptrdiff_t>(i),
                         region) != regions->begin() + static_cast<std::ptrdiff_t>(i))
        r.error(at, "[workload.postgres] regions: '" + region + "' is listed twice");
    }
    if (regions->empty()) r.error(at, "[workload.postgres] regions: list at least one region");
    p.regions = *regions;
  }
  if (auto port = r.integer(t, "port", 1, 65535)) p.port = static_cast<std::uint16_t>(*port);
  if (auto database = r.string(t, "database")) p.database = *database;
  if (auto user = r.string(t, "user")) p.user = *user;
  if (t.contains("isolation")) {
    const Keys levels{"read committed", "repeatable read", "serializable"};
    if (auto level = r.choice(t, "isolation", levels, "isolation level"))
      p.isolation = levels[*level];
  }
  const toml::table* statements = r.table(t, "statements");
  if (statements == nullptr) return;
  Keys names;
  for (const auto& k : postgres_statement_keys()) names.push_back(k.name);
  r.check_keys(*statements, "[workload.postgres.statements]", names);
  for (const auto& k : postgres_statement_keys()) {
    auto sql = r.string(*statements, k.name);
    if (!sql) continue;
    if (k.workload != nullptr && w.kind != k.workload &&
        !(w.kind == "kv" && std::string(k.workload) == "register"))
      r.error(*statements->get(k.name), std::string("statement '") + k.name + "' is for kind = \"" +
                                            k.workload + "\", and this workload is \"" + w.kind +
                                            "\"");
    else if (sql->find_first_not_of(" \t\n") == std::string::npos)
      r.error(*statements->get(k.name), std::string("statement '") + k.name + "' is empty");
    else
      p.statements[k.name] = *sql;
  }
}

// The servers are a service's: it must be there.
std::vector<std::string> validate_postgres(const Experiment& e) {
  const PostgresClientSpec& p = e.workload.postgres;
  if (e.services.empty()) return {"a workload needs a [[service]] to talk to"};
  if (e.find_service(p.service) != nullptr) return {};
  std::vector<std::string> names;
  for (const auto& s : e.services) names.push_back(s.name);
  return {"client = \"postgres\" connects to the service '" + p.service +
          "', and there is none (the services are " + listed(names) +
          "): name the [[service]] running PostgreSQL in [workload.postgres] service = \"...\""};
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
  static const ClientKind postgres{
      .name = "postgres",
      .summary =
          "PostgreSQL over libpq: each operation SQL statements the experiment may "
          "replace, transactions at its isolation level, failover across hosts",
      .workloads = {"kv", "register", "set", "list-append"},
      .keys = postgres_keys(),
      .read = read_postgres,
      .validate = validate_postgres,
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
  static const std::vector<const ClientKind*> kinds{&kv_http, &exec, &postgres, &redis, &http};
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
