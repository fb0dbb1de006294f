// faultline-kv: the app of one region of the reference multi-region store.
//
//   faultline-kv --region eu-west-1 --topology results/topology.json
//       --listen 198.18.3.10 --port 8080
//       --db "host=198.18.3.11 port=5432 user=faultline dbname=postgres"
//       [--bug stale-session] [--capacity 64 --queue 64 --queue-wait-ms 1000]
//       [--service-time-ms 0] [--cell a]
//
// Without --db it keeps its data in memory (for quick trials; the reference
// experiments always give each region a PostgreSQL server).
#include <CLI/CLI.hpp>
#include <cctype>
#include <chrono>
#include <iostream>
#include <memory>

#include "targets/kvstore/admission.hpp"
#include "targets/kvstore/log.hpp"
#include "targets/kvstore/postgres_storage.hpp"
#include "targets/kvstore/region.hpp"

using namespace faultline::kvstore;

int main(int argc, char** argv) {
  CLI::App app{"faultline-kv: one region of the reference multi-region store"};
  std::string region, topology_path, listen = "127.0.0.1", db, bug_name = "none";
  RegionConfig config;
  unsigned db_timeout_ms = 2000, session_wait_ms = 1000, anti_entropy_ms = 1000, flush_ms = 100,
           give_up_ms = 2000;
  app.add_option("--region", region, "this region's name")->required();
  app.add_option("--topology", topology_path, "the run's topology file")->required();
  app.add_option("--listen", listen, "address to listen on");
  app.add_option("--port", config.port, "port to listen on (every region's app uses it)");
  app.add_option("--app-host", config.app_host, "the host every region's app runs on");
  app.add_option("--db", db, "libpq connection string of the region's database");
  app.add_option("--db-timeout-ms", db_timeout_ms, "deadline of each database query");
  app.add_option("--session-wait-ms", session_wait_ms,
                 "how long a replica behind a session token waits before forwarding");
  app.add_option("--anti-entropy-ms", anti_entropy_ms, "interval of anti-entropy with each peer");
  app.add_option("--replication-flush-ms", flush_ms, "replication batch interval");
  app.add_option("--replication-give-up-ms", give_up_ms,
                 "how long a replication batch is retried before it is dropped");
  AdmissionPolicy admission{.capacity = 64, .queue = 64};
  unsigned queue_wait_ms = 1000, service_time_ms = 0;
  app.add_option("--capacity", admission.capacity,
                 "data requests served at once (0: unbounded)");
  app.add_option("--queue", admission.queue, "data requests that may wait beyond the capacity");
  app.add_option("--queue-wait-ms", queue_wait_ms, "the longest a request waits before it is shed");
  app.add_option("--service-time-ms", service_time_ms,
                 "what each data request costs in its slot beyond its database's answers (0: nothing)")
      ->check(CLI::Range(0u, 60000u));
  app.add_option("--cell", config.cell,
                 "serve one cell of the region: its customers' data in table cell_NAME")
      ->check(CLI::Validator(
          [](std::string& v) {
            for (char c : v)
              if (!(std::islower(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
                return std::string("a cell name is lowercase letters, digits and '_'");
            return std::string();
          },
          "NAME"));
  app.add_option("--bug", bug_name, "plant one known bug")
      ->check(CLI::IsMember(bug_names("faultline-kv")));
  CLI11_PARSE(app, argc, argv);

  try {
    config.name = region;
    config.topology = load_topology(topology_path);
    config.bug = *parse_bug(bug_name);
    config.session_wait = std::chrono::milliseconds(session_wait_ms);
    config.anti_entropy_interval = std::chrono::milliseconds(anti_entropy_ms);
    config.replication.flush_interval = std::chrono::milliseconds(flush_ms);
    config.replication.give_up_after = std::chrono::milliseconds(give_up_ms);

    std::unique_ptr<Storage> storage;
    if (db.empty())
      storage = std::make_unique<MemoryStorage>();
    else
      storage = std::make_unique<PostgresStorage>(
          db, std::chrono::milliseconds(db_timeout_ms),
          config.cell.empty() ? "entries" : "cell_" + config.cell);
    if (!config.cell.empty() && !db.empty())
      config.cell_storage = [db, db_timeout_ms](const std::string& cell) -> std::unique_ptr<Storage> {
        return std::make_unique<PostgresStorage>(db, std::chrono::milliseconds(db_timeout_ms),
                                                 "cell_" + cell);
      };

    Region state(config, *storage, log_line);
    state.start();
    log_line("faultline-kv " + region + (config.cell.empty() ? "" : " cell " + config.cell) +
             " listening on " + listen + ":" +
             std::to_string(config.port) + (db.empty() ? " (memory)" : " (PostgreSQL)") +
             (config.bug == Bug::none ? "" : " with bug " + bug_name));
    admission.queue_wait = std::chrono::milliseconds(queue_wait_ms);
    admission.service_time = std::chrono::milliseconds(service_time_ms);
    Admission gate(admission);
    // The region's capacity bounds the data requests; health checks,
    // replication and anti-entropy are not customers' load.
    auto handler = [&state, &gate, &region](const HttpRequest& r) {
      const std::string target(r.target());
      const bool data = target.starts_with("/customer/") || target.starts_with("/global/") ||
                        target.starts_with("/kv/") || target.starts_with("/ephemeral/");
      if (!data) return state.handle(r);
      auto slot = gate.enter();
      if (!slot)
        return json_reply(r, 503, {{"error", "region " + region + " is over capacity: shed"},
                                   {"served_by", region}});
      slot->work();
      return state.handle(r);
    };
    HttpServer server(handler, listen, config.port);
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "faultline-kv: " << e.what() << "\n";
    return 1;
  }
}
