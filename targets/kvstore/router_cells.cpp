// The router's parts for cells and for the routing data: the cells' health
// checks, reading a customer's assignment (with the static routing table
// when the routing data cannot be read), and moving a failed cell's
// customers to another cell of the region.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "common/http_client.hpp"
#include "targets/kvstore/region.hpp"
#include "targets/kvstore/router.hpp"

namespace faultline::kvstore {

using namespace std::chrono_literals;

namespace {

std::string cell_key(const std::string& region, const std::string& cell) {
  return region + "/" + cell;
}

}  // namespace

void GlobalRouter::start_cells() {
  for (const auto& r : config_.topology.regions)
    for (const auto& c : r.cells)
      checkers_.emplace_back([this, region = r.name, cell = c] { check_cell_loop(region, cell); });
  if (!config_.static_routes_path.empty())
    checkers_.emplace_back([this] { snapshot_loop(); });
}

bool GlobalRouter::region_has_cells(const std::string& region) const {
  const RegionInfo* r = config_.topology.find(region);
  return r != nullptr && !r->cells.empty();
}

bool GlobalRouter::cell_up(const std::string& region, const std::string& cell) {
  std::lock_guard lock(mutex_);
  auto it = cell_health_.find(cell_key(region, cell));
  return it != cell_health_.end() && it->second.up();
}

bool GlobalRouter::any_cell_up(const std::string& region) {
  for (const auto& c : config_.topology.at(region).cells)
    if (cell_up(region, c.name)) return true;
  return false;
}

void GlobalRouter::check_cell_loop(const std::string& region, const CellInfo& cell) {
  auto address = config_.topology.at(region).address(cell.host);
  if (!address) return;
  http::Client client(*address, cell.port, config_.health_timeout);
  while (!stopping_) {
    const auto started = SteadyClock::now();
    auto outcome = client.get("/health/deep");
    const bool healthy = outcome.response && outcome.response->status == 200;
    {
      std::lock_guard lock(mutex_);
      RegionHealth& h = cell_health_.at(cell_key(region, cell.name));
      if (h.record(healthy, SteadyClock::now()))
        log_(h.up() ? "cell " + cell.name + " of " + region + " is up again"
                    : "cell " + cell.name + " of " + region + " is down after " +
                          std::to_string(config_.policy.down_after) + " failed health checks");
    }
    const auto next = started + config_.health_interval;
    while (!stopping_ && SteadyClock::now() < next) std::this_thread::sleep_for(20ms);
  }
}

std::pair<RoutingRead, std::optional<Assignment>> GlobalRouter::assignment_of(
    const std::string& customer) {
  const auto now = SteadyClock::now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = assignments_.find(customer); it != assignments_.end() &&
        (config_.routing_ttl.count() == 0 || now - it->second.second < config_.routing_ttl))
      return {RoutingRead::found, it->second.first};
  }
  // Routing data is global: any region can answer, the edge's own first.
  std::vector<std::string> order{config_.edge};
  for (const auto& r : config_.topology.regions)
    if (r.name != config_.edge) order.push_back(r.name);
  RoutingRead read = RoutingRead::unreadable;
  for (const auto& region : order) {
    if (!state(region).up) continue;
    auto address = config_.topology.at(region).address(config_.app_host);
    if (!address) continue;
    http::Client client(*address, config_.app_port, config_.request_timeout);
    auto outcome = client.get("/global/" + home_key(customer));
    if (!outcome.response) continue;
    if (outcome.response->status == 404) read = RoutingRead::unknown_customer;
    if (outcome.response->status != 200) continue;
    auto body = nlohmann::json::parse(outcome.response->body, nullptr, false);
    if (body.is_discarded() || !body.contains("value") || !body["value"].is_string()) continue;
    auto assignment = parse_assignment(body["value"].get<std::string>());
    if (!assignment || config_.topology.find(assignment->home) == nullptr)
      return {RoutingRead::unknown_customer, std::nullopt};
    std::lock_guard lock(mutex_);
    assignments_[customer] = {*assignment, SteadyClock::now()};
    return {RoutingRead::found, assignment};
  }
  std::lock_guard lock(mutex_);
  return {read, resolve_assignment(read, std::nullopt, static_routes_, customer,
                                   config_.bug != Bug::no_static_fallback)};
}

HttpResponse GlobalRouter::route_to_cell(const HttpRequest& request, const std::string& customer,
                                         const Assignment& assignment) {
  const RegionInfo& region = config_.topology.at(assignment.home);
  std::vector<std::string> cells;
  for (const auto& c : region.cells) cells.push_back(c.name);
  auto up = [&](const std::string& cell) { return cell_up(region.name, cell); };
  auto moved = [&] {
    std::lock_guard lock(mutex_);
    return moved_[region.name];
  };
  auto choice = choose_cell(cells, assignment.cell, moved(), up);
  if (choice && !choice->migrate_from.empty()) {
    // One migration at a time, and none of the failed cell's customers is
    // served by the new cell before their data is there.
    std::lock_guard migrating(migration_mutex_);
    choice = choose_cell(cells, assignment.cell, moved(), up);
    if (choice && !choice->migrate_from.empty()) {
      if (!migrate(region.name, choice->migrate_from, choice->cell))
        return json_reply(request, 503,
                          {{"error", "moving cell " + choice->migrate_from + "'s customers to cell " +
                                         choice->cell + " failed"}});
      {
        std::lock_guard lock(mutex_);
        moved_[region.name][choice->migrate_from] = choice->cell;
      }
      record_move(region.name, choice->migrate_from, choice->cell);
    }
  }
  if (!choice)
    return json_reply(request, 503,
                      {{"error", "no cell of " + region.name + " is up for customer " + customer}});
  const CellInfo* cell = region.find_cell(choice->cell);
  if (cell == nullptr)
    return json_reply(request, 503, {{"error", "customer " + customer + " is assigned to cell " +
                                                   choice->cell + ", which " + region.name +
                                                   " does not have"}});
  return forward_to_cell(request, region.name, *cell);
}

bool GlobalRouter::migrate(const std::string& region, const std::string& from,
                           const std::string& to) {
  const RegionInfo& info = config_.topology.at(region);
  const CellInfo* cell = info.find_cell(to);
  auto address = cell != nullptr ? info.address(cell->host) : std::nullopt;
  if (!address) return false;
  // Copying a cell's data takes longer than a request: its own deadline.
  http::Client client(*address, cell->port, 10s);
  auto outcome = client.request(boost::beast::http::verb::post, "/cells/adopt?from=" + from, "");
  const bool ok = outcome.response && outcome.response->status == 200;
  log_("cell " + from + " of " + region + " is down: its customers move to cell " + to +
       (ok ? " (" + outcome.response->body + ")"
           : " failed: " + (outcome.response ? "http " + std::to_string(outcome.response->status) +
                                                   " " + outcome.response->body
                                             : outcome.error)));
  return ok;
}

void GlobalRouter::record_move(const std::string& region, const std::string& from,
                               const std::string& to) {
  // The routing data says where customers are: the moved customers'
  // records now name their new cell, so a router that starts later (or
  // never saw the cell down) sends them there too. Best effort: the move
  // itself is already in force at this router. The customers are those the
  // static table knows in the failed cell.
  StaticRoutes routes;
  {
    std::lock_guard lock(mutex_);
    routes = static_routes_;
  }
  auto address = config_.topology.at(config_.edge).address(config_.app_host);
  if (!address) return;
  http::Client client(*address, config_.app_port, config_.request_timeout);
  std::size_t recorded = 0, moved = 0;
  for (const auto& [customer, a] : routes) {
    if (a.home != region || a.cell != from) continue;
    ++moved;
    auto outcome = client.request(boost::beast::http::verb::put, "/global/" + home_key(customer),
                                  format_assignment({region, to}));
    if (outcome.response && outcome.response->status == 200) ++recorded;
  }
  log_("routing data: " + std::to_string(recorded) + " of " + std::to_string(moved) +
       " customers of cell " + from + " of " + region + " now assigned to cell " + to);
}

HttpResponse GlobalRouter::forward_to_cell(const HttpRequest& request, const std::string& region,
                                           const CellInfo& cell) {
  // One keep-alive connection per cell and per client connection thread,
  // keyed by where the cell is (not its name), so routers sharing a thread
  // never share a connection.
  thread_local std::map<std::string, std::unique_ptr<http::Client>> clients;
  auto address = config_.topology.at(region).address(cell.host);
  if (!address) return json_reply(request, 503, {{"error", "cell " + cell.name + " has no address"}});
  auto& client = clients[*address + ":" + std::to_string(cell.port)];
  if (!client) client = std::make_unique<http::Client>(*address, cell.port, config_.request_timeout);
  http::Headers headers;
  if (auto token = header(request, kSessionHeader); !token.empty())
    headers.emplace_back(kSessionHeader, token);
  auto outcome = client->request(request.method(), std::string(request.target()), request.body(),
                                 headers);
  if (!outcome.response)
    return json_reply(request, outcome.maybe_delivered ? 504 : 503,
                      {{"error", "cell " + cell.name + " of " + region + ": " + outcome.error},
                       {"routed_to", region}});
  return relay(request, outcome.response->status, outcome.response->body);
}

void GlobalRouter::load_static_routes() {
  if (config_.static_routes_path.empty()) return;
  std::ifstream in(config_.static_routes_path);
  if (!in) return;  // none yet: the first snapshot writes it
  std::stringstream text;
  text << in.rdbuf();
  try {
    static_routes_ = decode_static_routes(text.str());
    log_("static routing table: " + std::to_string(static_routes_.size()) + " customers from " +
         config_.static_routes_path);
  } catch (const std::exception& e) {
    log_("static routing table " + config_.static_routes_path + " unreadable, ignored: " +
         e.what());
  }
}

bool GlobalRouter::refresh_static_routes() {
  std::vector<std::string> order{config_.edge};
  for (const auto& r : config_.topology.regions)
    if (r.name != config_.edge) order.push_back(r.name);
  for (const auto& region : order) {
    auto address = config_.topology.at(region).address(config_.app_host);
    if (!address) continue;
    http::Client client(*address, config_.app_port, config_.request_timeout);
    auto outcome = client.get("/routing");
    if (!outcome.response || outcome.response->status != 200) continue;
    StaticRoutes routes;
    try {
      routes = decode_static_routes(outcome.response->body);
    } catch (const std::exception&) {
      continue;
    }
    // Written beside, then renamed: a router killed mid-write leaves the
    // previous table whole.
    const std::string temporary = config_.static_routes_path + ".new";
    {
      std::ofstream out(temporary, std::ios::trunc);
      out << encode_static_routes(routes);
      if (!out) return false;
    }
    if (std::rename(temporary.c_str(), config_.static_routes_path.c_str()) != 0) return false;
    std::lock_guard lock(mutex_);
    static_routes_ = std::move(routes);
    return true;
  }
  return false;
}

void GlobalRouter::snapshot_loop() {
  while (!stopping_) {
    refresh_static_routes();
    const auto next = SteadyClock::now() + config_.snapshot_interval;
    while (!stopping_ && SteadyClock::now() < next) std::this_thread::sleep_for(20ms);
  }
}

}  // namespace faultline::kvstore
