#pragma once
// State probes: ask a region's database directly what it holds, bypassing
// the system under test, so a checker can see data that no API would
// admit to (residency). Each probe is recorded as a "probe" operation
// (value {"customers": [...]}, the first column of each row).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "controllers/history/history.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

struct ProbeAnswer {
  bool ok = false;
  std::vector<std::string> rows;  // the first column of each row
  std::string error;
};

// PostgreSQL over libpq; the caller runs it inside a namespace of the region.
ProbeAnswer probe_postgres(const std::string& address, std::uint16_t port, const std::string& user,
                           const std::string& database, const std::string& query,
                           std::chrono::seconds timeout);

// Asks the database at an address; a seam so tests need no database.
using StateProber = std::function<ProbeAnswer(const std::string& address)>;

struct ProbeSite {
  std::string region;
  const injector::NamespaceFd* client_netns = nullptr;  // nullptr: where the caller is
  std::string address;                                  // the region's database
};

// Probes every site at once, each from its region's client host, recording
// an invoke and its completion (ok, or fail with the error) per region.
void probe_regions(const std::vector<ProbeSite>& sites, const StateProber& prober,
                   HistoryRecorder& history);

}  // namespace faultline
