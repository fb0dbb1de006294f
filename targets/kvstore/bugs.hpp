#pragma once
// Seeded bugs: each switch plants exactly one known fault in the reference
// store, so that each invariant can be shown to catch what it exists for.
// All are off by default.
#include <optional>
#include <string>
#include <vector>

namespace faultline::kvstore {

enum class Bug {
  none,
  lww_wall_clock,     // app: last-writer-wins on the bare wall clock
  failover_any_geo,   // router: fail over to any healthy region, across geos
  no_anti_entropy,    // app: replicas never repair what replication dropped
  stale_session,      // app: the session token is ignored on reads
  ack_before_commit,  // app: a write is acknowledged before the database commits it
  no_replication,     // app: writes never leave their region
  health_ignores_latency,  // router: health checks and breakers judge status, never latency
  retry_storm,        // router: retries every failure in the failover region, unbudgeted, until one succeeds
  no_ramp,            // router: a recovered region takes all its traffic back at once
  no_static_fallback,    // router: no static routing table when the routing data is unreadable
  migration_drops_data,  // app: a cell adopts a failed cell's customers without their data
};

struct BugInfo {
  Bug bug;
  const char* name;
  const char* program;  // which binary has it: "faultline-kv" or "faultline-router"
};

const std::vector<BugInfo>& all_bugs();
// "none" and "" are Bug::none; nullopt for an unknown name.
std::optional<Bug> parse_bug(const std::string& name);
std::vector<std::string> bug_names(const std::string& program);  // with "none"

}  // namespace faultline::kvstore
