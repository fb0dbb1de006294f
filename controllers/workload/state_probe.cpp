#include "controllers/workload/state_probe.hpp"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <thread>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

ProbeAnswer probe_postgres(const std::string& address, std::uint16_t port, const std::string& user,
                           const std::string& database, const std::string& query,
                           std::chrono::seconds timeout) {
  const std::string port_text = std::to_string(port), timeout_text = std::to_string(timeout.count());
  const char* keys[] = {"hostaddr", "port", "user", "dbname", "connect_timeout", nullptr};
  const char* values[] = {address.c_str(), port_text.c_str(), user.c_str(), database.c_str(),
                          timeout_text.c_str(), nullptr};
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdbParams(keys, values, 0), PQfinish);
  ProbeAnswer answer;
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    answer.error = conn ? PQerrorMessage(conn.get()) : "out of memory";
    while (!answer.error.empty() && answer.error.back() == '\n') answer.error.pop_back();
    return answer;
  }
  // A probe only reads, and never for long.
  const std::string limit = "SET statement_timeout = " + std::to_string(timeout.count() * 1000);
  PQclear(PQexec(conn.get(), limit.c_str()));
  PQclear(PQexec(conn.get(), "SET default_transaction_read_only = on"));
  std::unique_ptr<PGresult, void (*)(PGresult*)> res(PQexec(conn.get(), query.c_str()), PQclear);
  if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
    answer.error = res ? PQresultErrorMessage(res.get()) : PQerrorMessage(conn.get());
    while (!answer.error.empty() && answer.error.back() == '\n') answer.error.pop_back();
    return answer;
  }
  for (int i = 0; i < PQntuples(res.get()); ++i) answer.rows.emplace_back(PQgetvalue(res.get(), i, 0));
  answer.ok = true;
  return answer;
}

void probe_regions(const std::vector<ProbeSite>& sites, const StateProber& prober,
                   HistoryRecorder& history) {
  std::vector<std::thread> probes;
  for (const auto& site : sites)
    probes.emplace_back([&] {
      if (site.client_netns != nullptr) injector::enter_namespace(*site.client_netns);
      Operation invoke{.type = OpType::invoke,
                       .process = kProbeProcess,
                       .f = kProbeF,
                       .value = nullptr,
                       .region = site.region};
      history.record(invoke);
      const ProbeAnswer answer = prober(site.address);
      Operation done = invoke;
      done.type = answer.ok ? OpType::ok : OpType::fail;
      done.value = {{"customers", answer.rows}};
      done.error = answer.error;
      history.record(done);
      if (!answer.ok) spdlog::warn("state probe of {}: {}", site.region, answer.error);
    });
  for (auto& t : probes) t.join();
}

}  // namespace faultline
