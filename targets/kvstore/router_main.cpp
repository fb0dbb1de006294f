// faultline-router: the global router at one region's edge.
//
//   faultline-router --region us-east-1 --topology results/topology.json
//       --listen 198.18.1.12 --port 8000 [--app-host app --app-port 8080]
//       [--health-interval-ms 500] [--bug failover-any-geo]
//       [--capacity 64 --queue 64 --queue-wait-ms 500]
//       [--health-p99-ms 250 --health-window 3] [--breaker-p99-ms 400]
//       [--breaker-cool-off-ms 2000] [--breaker-failures 0.5] [--retry-budget 0.1]
//       [--routing-ttl-ms 500] [--static-routes FILE] [--snapshot-ms 1000]
#include <CLI/CLI.hpp>
#include <iostream>

#include "targets/kvstore/log.hpp"
#include "targets/kvstore/router.hpp"

using namespace faultline::kvstore;

int main(int argc, char** argv) {
  CLI::App app{"faultline-router: health-checked routing of customers to regions"};
  std::string topology_path, listen = "127.0.0.1", bug_name = "none";
  unsigned short port = 8000;
  unsigned interval_ms = 500, timeout_ms = 1000, ramp_step_ms = 2000, routing_ttl_ms = 0,
           snapshot_ms = 1000;
  RouterConfig config;
  app.add_option("--region", config.edge, "the region this router runs in")->required();
  app.add_option("--topology", topology_path, "the run's topology file")->required();
  app.add_option("--listen", listen, "address to listen on");
  app.add_option("--port", port, "port to listen on");
  app.add_option("--app-host", config.app_host, "the host every region's app runs on");
  app.add_option("--app-port", config.app_port, "the port every region's app listens on");
  app.add_option("--health-interval-ms", interval_ms, "interval between health checks");
  app.add_option("--health-timeout-ms", timeout_ms, "deadline of one health check");
  app.add_option("--down-after", config.policy.down_after, "failed checks that mark a region down");
  app.add_option("--ramp-step-ms", ramp_step_ms, "length of each step of the 10%/50% ramp");
  unsigned request_timeout_ms = 2000;
  app.add_option("--request-timeout-ms", request_timeout_ms,
                 "deadline of a request forwarded to a region");
  unsigned queue_wait_ms = 500, health_p99_ms = 250, breaker_p99_ms = 400, cool_off_ms = 2000;
  app.add_option("--capacity", config.admission.capacity,
                 "requests the edge forwards at once (0: unbounded)");
  app.add_option("--queue", config.admission.queue, "requests that may wait beyond the capacity");
  app.add_option("--queue-wait-ms", queue_wait_ms, "the longest a request waits before it is shed");
  app.add_option("--health-p99-ms", health_p99_ms,
                 "a region whose health checks' p99 passes this is down (0: status only)");
  app.add_option("--health-window", config.health_window, "health checks the p99 is taken over");
  app.add_option("--breaker-p99-ms", breaker_p99_ms,
                 "a region's breaker opens when its requests' p99 passes this (0: never)");
  app.add_option("--breaker-cool-off-ms", cool_off_ms, "how long an open breaker waits to probe");
  app.add_option("--breaker-failures", config.breaker.max_failures,
                 "a region's breaker opens when this fraction of its requests fail (0: never)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--retry-budget", config.retry_budget,
                 "retries in the failover region, as a fraction of requests")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--routing-ttl-ms", routing_ttl_ms,
                 "how long a customer's assignment read from the routing data is kept (0: forever)");
  app.add_option("--static-routes", config.static_routes_path,
                 "the static routing table's file, used when the routing data cannot be read");
  app.add_option("--snapshot-ms", snapshot_ms, "interval of the static routing table's refresh");
  app.add_option("--bug", bug_name, "plant one known bug")
      ->check(CLI::IsMember(bug_names("faultline-router")));
  CLI11_PARSE(app, argc, argv);

  try {
    config.topology = load_topology(topology_path);
    config.bug = *parse_bug(bug_name);
    config.health_interval = std::chrono::milliseconds(interval_ms);
    config.health_timeout = std::chrono::milliseconds(timeout_ms);
    config.policy.ramp_step = std::chrono::milliseconds(ramp_step_ms);
    if (config.bug == Bug::no_ramp) config.policy.ramp.clear();  // the herd
    config.request_timeout = std::chrono::milliseconds(request_timeout_ms);
    config.admission.queue_wait = std::chrono::milliseconds(queue_wait_ms);
    config.health_p99 = std::chrono::milliseconds(health_p99_ms);
    config.breaker.p99_limit = std::chrono::milliseconds(breaker_p99_ms);
    config.breaker.cool_off = std::chrono::milliseconds(cool_off_ms);
    config.routing_ttl = std::chrono::milliseconds(routing_ttl_ms);
    config.snapshot_interval = std::chrono::milliseconds(snapshot_ms);
    GlobalRouter router(config, log_line);
    router.start();
    log_line("faultline-router at the edge of " + config.edge + " listening on " + listen + ":" +
             std::to_string(port) + (config.bug == Bug::none ? "" : " with bug " + bug_name));
    HttpServer server([&router](const HttpRequest& r) { return router.handle(r); }, listen, port);
    server.run();
  } catch (const std::exception& e) {
    std::cerr << "faultline-router: " << e.what() << "\n";
    return 1;
  }
}
