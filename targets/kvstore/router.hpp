#pragma once
// The global router: the DNS / anycast layer of the multi-region design. One
// runs at each region's edge; each health-checks every region's
// /health/deep on its own, and sends each customer request to the region
// that routing.hpp chooses. Requests that are not customer data go to the
// edge's own region while it is up, else to any region that is.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "targets/kvstore/bugs.hpp"
#include "targets/kvstore/http_server.hpp"
#include "targets/kvstore/replicator.hpp"
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
  std::optional<std::string> home_of(const std::string& customer);
  HttpResponse forward(const HttpRequest& request, const std::string& region);
  std::optional<std::string> any_up_region();

  RouterConfig config_;
  Log log_;
  std::mutex mutex_;
  std::map<std::string, RegionHealth> health_;
  std::map<std::string, std::string> homes_;
  std::atomic<bool> stopping_{false};
  std::vector<std::thread> checkers_;
};

}  // namespace faultline::kvstore
