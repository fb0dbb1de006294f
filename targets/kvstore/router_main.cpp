// faultline-router: the global router at one region's edge.
//
//   faultline-router --region us-east-1 --topology results/topology.json
//       --listen 198.18.1.12 --port 8000 [--app-host app --app-port 8080]
//       [--health-interval-ms 500] [--bug failover-any-geo]
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
