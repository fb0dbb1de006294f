#pragma once
// Each client kind's own options, as values read from the experiment (its
// table [workload.<kind>], or for exec the keys of [workload] itself). A
// client kind's reader fills its struct (client_kinds.cpp); its factory
// (controllers/workload/client_factories.cpp) reads it back. Options of
// kinds the experiment does not use stay at their defaults.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "controllers/experiment/http_template.hpp"

namespace faultline {

// client = "exec": the user's own program over JSON lines (docs/clients.md).
struct ExecClientSpec {
  std::string program;            // resolved like a service's program (absolute)
  std::vector<std::string> args;  // templates with service placeholders
  std::string user = "nobody";
};

// client = "postgres": PostgreSQL over libpq (docs/clients.md).
struct PostgresClientSpec {
  std::string service = "postgres";  // the [[service]] running the servers (its host)
  std::vector<std::string> regions;  // whose server to try, in failover order; empty: all, in order
  std::uint16_t port = 5432;
  std::string database = "postgres";
  std::string user = "faultline";
  std::string isolation = "read committed";
  // Statements that replace the defaults, by name (read, write, cas, ...).
  std::map<std::string, std::string> statements;
};

// client = "redis": Redis servers over RESP ([workload.redis]). Each region
// has one server, the `service`'s host there; a session sends each kind of
// operation to one of them. A placement is "local" (the session's own
// region's server), a region's name, or (reads, final reads) "primary":
// where writes go.
struct RedisClientSpec {
  std::string service = "redis";
  std::uint16_t port = 6379;
  std::string writes = "local";  // write, cas, add, and transactions that append
  std::string reads = "local";   // the sessions' reads and read-only transactions
  std::string final_reads;       // empty: where `reads` go
};

// client = "http": request templates for an HTTP API ([workload.http]);
// HttpClientSpec is declared with the templates, in http_template.hpp.


}  // namespace faultline
