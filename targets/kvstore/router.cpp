#include "targets/kvstore/router.hpp"

#include <boost/beast/http.hpp>
#include <random>

#include "common/http_client.hpp"
#include "targets/kvstore/region.hpp"

namespace faultline::kvstore {

namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;

GlobalRouter::GlobalRouter(RouterConfig config, Log log)
    : config_(std::move(config)),
      log_(std::move(log)),
      retry_budget_(config_.retry_budget),
      admission_(config_.admission) {
  config_.topology.at(config_.edge);
  // The bug: a slow region is "working", so nothing that watches it looks
  // at how slow.
  if (config_.bug == Bug::health_ignores_latency) {
    config_.health_p99 = std::chrono::milliseconds(0);
    config_.breaker.p99_limit = std::chrono::milliseconds(0);
  }
  for (const auto& r : config_.topology.regions) {
    health_.emplace(r.name, &config_.policy);
    check_latency_.emplace(r.name, LatencyWindow(config_.health_window));
    breakers_.emplace(r.name, CircuitBreaker(&config_.breaker));
    for (const auto& c : r.cells) cell_health_.emplace(r.name + "/" + c.name, &config_.policy);
  }
  load_static_routes();
}

GlobalRouter::~GlobalRouter() {
  stopping_ = true;
  for (auto& t : checkers_) t.join();
}

void GlobalRouter::start() {
  for (const auto& r : config_.topology.regions)
    if (r.cells.empty()) checkers_.emplace_back([this, name = r.name] { check_loop(name); });
  start_cells();
}

void GlobalRouter::check_loop(const std::string& region) {
  auto address = config_.topology.at(region).address(config_.app_host);
  if (!address) return;
  http::Client client(*address, config_.app_port, config_.health_timeout);
  while (!stopping_) {
    const auto started = SteadyClock::now();
    auto outcome = client.get("/health/deep");
    const auto took =
        std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started);
    bool healthy = outcome.response && outcome.response->status == 200;
    {
      std::lock_guard lock(mutex_);
      // A check that answers 200 slowly fails too: the guide's cascade
      // starts with a slow database whose region still says it is fine.
      LatencyWindow& window = check_latency_.at(region);
      window.add(took);
      std::string why = outcome.error.empty() && outcome.response
                            ? "http " + std::to_string(outcome.response->status)
                            : outcome.error;
      if (healthy && config_.health_p99.count() > 0 &&
          window.percentile(0.99) > config_.health_p99) {
        healthy = false;
        why = "p99 " + std::to_string(window.percentile(0.99).count()) + " ms over the last " +
              std::to_string(window.count()) + " checks, over " +
              std::to_string(config_.health_p99.count()) + " ms";
      }
      RegionHealth& h = health_.at(region);
      if (h.record(healthy, SteadyClock::now()))
        log_(h.up() ? "region " + region + " is up again: ramping its traffic back"
                    : "region " + region + " is down after " +
                          std::to_string(config_.policy.down_after) + " failed health checks (" +
                          why + ")");
    }
    const auto next = started + config_.health_interval;
    while (!stopping_ && SteadyClock::now() < next) std::this_thread::sleep_for(20ms);
  }
}

RegionState GlobalRouter::state(const std::string& region) {
  if (region_has_cells(region)) return {any_cell_up(region), 1.0};
  std::lock_guard lock(mutex_);
  const RegionHealth& h = health_.at(region);
  return {h.up(), h.share(SteadyClock::now())};
}

RegionState GlobalRouter::routable(const std::string& region) {
  std::lock_guard lock(mutex_);
  const RegionHealth& h = health_.at(region);
  if (!h.up() || !breakers_.at(region).permits(SteadyClock::now())) return {false, 0};
  return {true, h.share(SteadyClock::now())};
}

HttpResponse GlobalRouter::forward_watched(const HttpRequest& request, const std::string& region) {
  const auto started = SteadyClock::now();
  {
    // Routing chose it: this request is the probe if the breaker wants one.
    std::lock_guard lock(mutex_);
    breakers_.at(region).allow(started);
  }
  HttpResponse response = forward(request, region);
  const auto now = SteadyClock::now();
  const bool ok = response.result_int() < 500;
  std::lock_guard lock(mutex_);
  CircuitBreaker& breaker = breakers_.at(region);
  if (breaker.record(ok, std::chrono::duration_cast<std::chrono::milliseconds>(now - started), now))
    log_("circuit breaker of " + region + " at the edge of " + config_.edge + " is " +
         (breaker.state() == CircuitBreaker::State::closed ? "closed again" : "open"));
  return response;
}

std::optional<std::string> GlobalRouter::any_up_region() {
  if (state(config_.edge).up) return config_.edge;
  for (const auto& r : config_.topology.regions)
    if (state(r.name).up) return r.name;
  return std::nullopt;
}

HttpResponse GlobalRouter::forward(const HttpRequest& request, const std::string& region) {
  // One keep-alive connection per region and per client connection thread.
  thread_local std::map<std::string, std::unique_ptr<http::Client>> clients;
  auto& client = clients[region];
  if (!client) {
    auto address = config_.topology.at(region).address(config_.app_host);
    if (!address) return json_reply(request, 503, {{"error", "region " + region + " has no app"}});
    client = std::make_unique<http::Client>(*address, config_.app_port, config_.request_timeout);
  }
  http::Headers headers;
  if (auto token = header(request, kSessionHeader); !token.empty())
    headers.emplace_back(kSessionHeader, token);
  auto outcome = client->request(request.method(), std::string(request.target()), request.body(),
                                 headers);
  if (!outcome.response)
    // 504: the region may have acted on it; 503: it never got it.
    return json_reply(request, outcome.maybe_delivered ? 504 : 503,
                      {{"error", "region " + region + ": " + outcome.error}, {"routed_to", region}});
  return relay(request, outcome.response->status, outcome.response->body);
}

HttpResponse GlobalRouter::handle(const HttpRequest& request) {
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));
  if (path == "/health") {
    // Ready once every region has passed a health check: before that, it
    // would route blind.
    std::vector<std::string> waiting;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [name, h] : health_)
        if (!h.seen_healthy() && !region_has_cells(name)) waiting.push_back(name);
      for (const auto& [name, h] : cell_health_)
        if (!h.seen_healthy()) waiting.push_back(name);
    }
    if (!waiting.empty())
      return json_reply(request, 503, {{"status", "waiting for regions"}, {"waiting", waiting}});
    return json_reply(request, 200, {{"status", "ok"}, {"edge", config_.edge}});
  }
  if (path == "/routes") {
    nlohmann::json regions = nlohmann::json::object();
    for (const auto& r : config_.topology.regions) {
      auto s = state(r.name);
      nlohmann::json region;
      {
        std::lock_guard lock(mutex_);
        const auto breaker = breakers_.at(r.name).state();
        region = {{"up", s.up},
                  {"share", s.share},
                  {"breaker", breaker == CircuitBreaker::State::closed  ? "closed"
                              : breaker == CircuitBreaker::State::open ? "open"
                                                                       : "half-open"},
                  {"check_p99_ms", check_latency_.at(r.name).percentile(0.99).count()}};
      }
      for (const auto& c : r.cells) region["cells"][c.name] = cell_up(r.name, c.name);
      regions[r.name] = region;
    }
    return json_reply(request, 200, {{"edge", config_.edge}, {"regions", regions}});
  }
  // Past the edge's capacity (and its queue), shed: overload shows as
  // 503s and queueing, not as every request slowing down together.
  auto slot = admission_.enter();
  if (!slot)
    return json_reply(request, 503,
                      {{"error", "the edge of " + config_.edge + " is over capacity: shed"}});
  const std::string prefix = "/customer/";
  if (path.rfind(prefix, 0) == 0) {
    const std::string rest = path.substr(prefix.size());
    return route_customer(request, rest.substr(0, rest.find('/')));
  }
  auto region = any_up_region();
  if (!region) return json_reply(request, 503, {{"error", "no healthy region"}});
  return forward(request, *region);
}

HttpResponse GlobalRouter::route_customer(const HttpRequest& request, const std::string& customer) {
  auto [read, assignment] = assignment_of(customer);
  if (!assignment)
    return read == RoutingRead::unreadable
               ? json_reply(request, 503,
                            {{"error", "the routing data cannot be read for customer " + customer}})
               : json_reply(request, 404, {{"error", "unknown customer " + customer}});
  const std::string* home = &assignment->home;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  RouteInput in{.home = *home,
                .edge = config_.edge,
                .op = request.method() == beast_http::verb::get ? Operation::read
                                                                : Operation::write,
                .coin = std::uniform_real_distribution<double>(0, 1)(rng),
                .any_geo = config_.bug == Bug::failover_any_geo};
  auto region =
      choose_region(config_.topology, in, [this](const std::string& r) { return routable(r); });
  if (!region)
    return json_reply(request, 503,
                      {{"error", "no healthy region may serve customer " + customer + " (home " +
                                     *home + ")"}});
  // A customer of a region with cells is served by its cell there.
  if (!assignment->cell.empty() && *region == *home && region_has_cells(*region))
    return route_to_cell(request, customer, *assignment);
  HttpResponse response = forward_watched(request, *region);
  const std::string& failover = config_.topology.at(*home).failover;
  auto failed = [](const HttpResponse& r) {
    return r.result_int() == 503 || r.result_int() == 504;
  };
  {
    std::lock_guard lock(mutex_);
    retry_budget_.request();
  }
  if (!failed(response) || *region != *home || failover.empty() || !routable(failover).up)
    return response;
  // A failure at home is retried once in the failover region, within the
  // budget: retries beyond it would pile onto a region that is taking the
  // home region's load already. The retry-storm bug retries every failure
  // there, at once and again until one succeeds or the request's deadline
  // passes: each refusal of an overloaded failover region brings another
  // request to it.
  if (config_.bug == Bug::retry_storm) {
    const auto deadline = SteadyClock::now() + config_.request_timeout;
    while (failed(response) && SteadyClock::now() < deadline)
      response = forward_watched(request, failover);
    return response;
  }
  {
    std::lock_guard lock(mutex_);
    if (!retry_budget_.try_retry()) return response;
  }
  response = forward_watched(request, failover);
  return response;
}

}  // namespace faultline::kvstore
