#pragma once
// State probes: ask a region's database directly what it holds, bypassing
// the system under test, so a checker can see data that no API would
// admit to (residency). PostgreSQL over libpq; the caller runs it inside a
// namespace of the region.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace faultline {

struct ProbeAnswer {
  bool ok = false;
  std::vector<std::string> rows;  // the first column of each row
  std::string error;
};

ProbeAnswer probe_postgres(const std::string& address, std::uint16_t port, const std::string& user,
                           const std::string& database, const std::string& query,
                           std::chrono::seconds timeout);

}  // namespace faultline
