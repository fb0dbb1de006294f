#pragma once
// The global router: the DNS / anycast layer of the multi-region design. One
// runs at each region's edge; each health-checks every region's
// /health/deep on its own, and sends each customer request to the region
// that routing.hpp chooses. Requests that are not customer data go to the
// edge's own region while it is up, else to any region that is.
//
// In a region with cells (topology.hpp) the router health-checks each cell
// instead of the region's app, sends a customer to its cell (the assignment
// in the routing data), and, when a cell is down, moves its customers to
// another cell of the region once that cell has copied their data
// (cells.hpp). A region with cells is up while one of its cells is.
//
// The routing data is read from the regions' apps, and cached for
// `routing_ttl` (0: for the router's life). Every `snapshot_interval` the
// router copies the whole routing table to `static_routes_path`; when no app
// can be read it routes from that static table (read back at start, so a
// restarted router has it too).
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "targets/kvstore/admission.hpp"
#include "targets/kvstore/bugs.hpp"
#include "targets/kvstore/cells.hpp"
#include "targets/kvstore/http_server.hpp"
#include "targets/kvstore/replicator.hpp"
#include "targets/kvstore/resilience.hpp"
#include "targets/kvstore/routing.hpp"
#include "targets/kvstore/topology.hpp"

namespace faultline::kvstore {

struct RouterConfig {
  std::string edge;  // the region this router runs in
  Topology topology;
  std::string app_host = "app";
  unsigned short app_port = 8080;
  std::chrono::milliseconds health_interval{500};
  std::chrono::milliseconds health_timeout{1000};
  std::chrono::milliseconds request_timeout{2000};
  HealthPolicy policy;
  Bug bug = Bug::none;
  // The defences against a cascade (resilience.hpp): the edge's capacity, a
  // health check that fails a region whose checks' p99 over the last
  // `health_window` checks passes `health_p99` (0: status only), a breaker
  // per region on the requests forwarded to it, and the share of requests
  // that may be retried in the failover region.
  AdmissionPolicy admission{.capacity = 64, .queue = 64, .queue_wait = std::chrono::milliseconds(500)};
  std::chrono::milliseconds health_p99{250};
  std::size_t health_window = 3;
  BreakerPolicy breaker;
  double retry_budget = 0.1;
  std::chrono::milliseconds routing_ttl{0};
  std::string static_routes_path;  // empty: no static routing table
  std::chrono::milliseconds snapshot_interval{1000};
};

class GlobalRouter {
 public:
  GlobalRouter(RouterConfig config, Log log);
  ~GlobalRouter();
  GlobalRouter(const GlobalRouter&) = delete;
  GlobalRouter& operator=(const GlobalRouter&) = delete;

  void start();  // the health checkers
  HttpResponse handle(const HttpRequest& request);

 private:
  void check_loop(const std::string& region);
  RegionState state(const std::string& region);
  HttpResponse forward(const HttpRequest& request, const std::string& region);
  std::optional<std::string> any_up_region();
  // What routing may use: up by health checks, and its breaker lets the
  // request through.
  RegionState routable(const std::string& region);
  // forward(), timed, its outcome fed to the region's breaker.
  HttpResponse forward_watched(const HttpRequest& request, const std::string& region);
  HttpResponse route_customer(const HttpRequest& request, const std::string& customer);

  // router_cells.cpp
  void start_cells();
  void check_cell_loop(const std::string& region, const CellInfo& cell);
  bool cell_up(const std::string& region, const std::string& cell);
  bool region_has_cells(const std::string& region) const;
  bool any_cell_up(const std::string& region);
  std::pair<RoutingRead, std::optional<Assignment>> assignment_of(const std::string& customer);
  HttpResponse route_to_cell(const HttpRequest& request, const std::string& customer,
                             const Assignment& assignment);
  bool migrate(const std::string& region, const std::string& from, const std::string& to);
  void record_move(const std::string& region, const std::string& from, const std::string& to);
  HttpResponse forward_to_cell(const HttpRequest& request, const std::string& region,
                               const CellInfo& cell);
  void snapshot_loop();
  bool refresh_static_routes();
  void load_static_routes();

  RouterConfig config_;
  Log log_;
  std::mutex mutex_;
  std::map<std::string, RegionHealth> health_;
  std::map<std::string, LatencyWindow> check_latency_;
  std::map<std::string, CircuitBreaker> breakers_;
  RetryBudget retry_budget_;
  Admission admission_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> checkers_;
  // Cells: health per "region/cell", assignments read with when, the
  // migrations done per region (failed cell -> its customers' new cell),
  // and the static routing table.
  std::map<std::string, RegionHealth> cell_health_;
  std::map<std::string, std::pair<Assignment, SteadyClock::time_point>> assignments_;
  std::map<std::string, std::map<std::string, std::string>> moved_;
  std::mutex migration_mutex_;
  StaticRoutes static_routes_;
};

}  // namespace faultline::kvstore
