#include "targets/kvstore/bugs.hpp"

namespace faultline::kvstore {

const std::vector<BugInfo>& all_bugs() {
  static const std::vector<BugInfo> bugs{
      {Bug::lww_wall_clock, "lww-wall-clock", "faultline-kv"},
      {Bug::no_anti_entropy, "no-anti-entropy", "faultline-kv"},
      {Bug::stale_session, "stale-session", "faultline-kv"},
      {Bug::ack_before_commit, "ack-before-commit", "faultline-kv"},
      {Bug::no_replication, "no-replication", "faultline-kv"},
      {Bug::failover_any_geo, "failover-any-geo", "faultline-router"},
      {Bug::health_ignores_latency, "health-ignores-latency", "faultline-router"},
      {Bug::retry_storm, "retry-storm", "faultline-router"},
      {Bug::no_ramp, "no-ramp", "faultline-router"},
      {Bug::no_static_fallback, "no-static-fallback", "faultline-router"},
      {Bug::migration_drops_data, "migration-drops-data", "faultline-kv"},
  };
  return bugs;
}

std::optional<Bug> parse_bug(const std::string& name) {
  if (name.empty() || name == "none") return Bug::none;
  for (const auto& b : all_bugs())
    if (name == b.name) return b.bug;
  return std::nullopt;
}

std::vector<std::string> bug_names(const std::string& program) {
  std::vector<std::string> names{"none"};
  for (const auto& b : all_bugs())
    if (program == b.program) names.emplace_back(b.name);
  return names;
}

}  // namespace faultline::kvstore
