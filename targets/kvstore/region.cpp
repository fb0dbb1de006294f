#include "targets/kvstore/region.hpp"

#include <boost/beast/http.hpp>

#include "common/http_client.hpp"
#include "targets/kvstore/cells.hpp"

namespace faultline::kvstore {

namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

std::uint64_t wall_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

// "/customer/c1/k2" -> {"c1", "k2"}; nullopt unless exactly two parts.
std::optional<std::pair<std::string, std::string>> two_parts(const std::string& rest) {
  const auto slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string::npos)
    return std::nullopt;
  return std::make_pair(rest.substr(0, slash), rest.substr(slash + 1));
}

std::string query_value(const std::string& target, const std::string& name) {
  const auto q = target.find('?');
  if (q == std::string::npos) return "";
  const std::string query = target.substr(q + 1);
  const std::string prefix = name + "=";
  for (std::size_t start = 0; start <= query.size();) {
    auto end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    if (query.compare(start, prefix.size(), prefix) == 0)
      return query.substr(start + prefix.size(), end - start - prefix.size());
    start = end + 1;
  }
  return "";
}

}  // namespace

std::string home_key(const std::string& customer) { return "customer:" + customer; }

Region::Region(RegionConfig config, Storage& storage, Log log)
    : config_(std::move(config)),
      storage_(storage),
      log_(std::move(log)),
      clock_(config_.bug == Bug::lww_wall_clock) {
  config_.topology.at(config_.name);  // throws for a region missing from the topology
}

Region::~Region() {
  stopping_ = true;
  behind_ready_.notify_all();
  if (anti_entropy_.joinable()) anti_entropy_.join();
  if (write_behind_.joinable()) write_behind_.join();
}

void Region::start() {
  if (!config_.cell.empty()) return;  // a cell's data is its own: nothing to replicate
  if (config_.bug != Bug::no_replication) {
    std::vector<Peer> peers;
    for (const auto& r : config_.topology.regions)
      if (r.name != config_.name)
        if (auto address = r.address(config_.app_host))
          peers.push_back({r.name, *address, config_.port});
    replicator_ = std::make_unique<Replicator>(peers, config_.replication, log_);
  }
  if (config_.bug != Bug::no_anti_entropy && config_.bug != Bug::no_replication)
    anti_entropy_ = std::thread([this] { anti_entropy_loop(); });
  if (config_.bug == Bug::ack_before_commit)
    write_behind_ = std::thread([this] { write_behind_loop(); });
}

Version Region::stamp(const std::optional<Version>& token) {
  std::lock_guard lock(clock_mutex_);
  // The session's last version happened before this write: the clock must
  // pass it, so a session's writes are ordered whichever region serves them.
  if (token) clock_.observe(token->timestamp);
  return Version{clock_.tick(wall_ns()), config_.name};
}

void Region::absorb(const std::vector<Record>& records) {
  {
    std::lock_guard lock(clock_mutex_);
    for (const auto& r : records) clock_.observe(r.entry.version.timestamp);
  }
  storage_.merge(records);
}

std::optional<std::string> Region::home_of(const std::string& customer) {
  {
    std::lock_guard lock(homes_mutex_);
    if (auto it = homes_.find(customer); it != homes_.end()) return it->second;
  }
  auto entry = storage_.get(DataClass::global, "", home_key(customer));
  if (!entry) return std::nullopt;
  auto assignment = parse_assignment(entry->value);
  if (!assignment || config_.topology.find(assignment->home) == nullptr) return std::nullopt;
  std::lock_guard lock(homes_mutex_);
  homes_[customer] = assignment->home;
  return assignment->home;
}

std::vector<std::string> Region::replicate_to(const Record& record) {
  switch (record.data_class) {
    case DataClass::global: {
      std::vector<std::string> all;
      for (const auto& r : config_.topology.regions) all.push_back(r.name);
      return all;
    }
    case DataClass::customer:
      if (auto home = home_of(record.customer)) return config_.topology.replicas_of(*home);
      return {};
    case DataClass::ephemeral:
      return {};
  }
  return {};
}

std::vector<Record> Region::records_for(const std::string& peer) {
  std::vector<Record> out = storage_.scan(DataClass::global);
  for (auto& r : storage_.scan(DataClass::customer)) {
    auto home = home_of(r.customer);
    if (!home) continue;
    auto replicas = config_.topology.replicas_of(*home);
    if (peer.empty() || std::find(replicas.begin(), replicas.end(), peer) != replicas.end())
      out.push_back(std::move(r));
  }
  return out;
}

void Region::commit(const Record& record) {
  storage_.merge({record});
  if (replicator_) replicator_->publish(record, replicate_to(record));
}

HttpResponse Region::write(const HttpRequest& request, DataClass cls, const std::string& customer,
                           const std::string& key) {
  const auto token = parse_version(header(request, kSessionHeader));
  Record record{cls, customer, key, Entry{request.body(), stamp(token)}};
  nlohmann::json answer = served();
  answer["version"] = format_version(record.entry.version);
  if (config_.bug == Bug::ack_before_commit) {
    {
      std::lock_guard lock(behind_mutex_);
      behind_.push_back(record);
    }
    behind_ready_.notify_one();
    return json_reply(request, 200, answer);
  }
  commit(record);
  return json_reply(request, 200, answer);
}

HttpResponse Region::read(const HttpRequest& request, DataClass cls, const std::string& customer,
                          const std::string& key) {
  auto entry = storage_.get(cls, customer, key);
  const auto token = cls == DataClass::customer && config_.bug != Bug::stale_session
                         ? parse_version(header(request, kSessionHeader))
                         : std::nullopt;
  if (token && !(entry && entry->version >= *token)) {
    // Behind the session: wait for replication, then ask the home region.
    const auto deadline = Clock::now() + config_.session_wait;
    while (!(entry && entry->version >= *token) && Clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
      entry = storage_.get(cls, customer, key);
    }
    if (!(entry && entry->version >= *token)) {
      auto home = home_of(customer);
      if (home && *home != config_.name && header(request, kForwardedHeader).empty())
        return forward_read(request, *home);
      return json_reply(request, 503,
                        {{"error", "replica is behind the session token " + format_version(*token)},
                         {"served_by", config_.name}});
    }
  }
  nlohmann::json answer = served();
  if (!entry) {
    answer["version"] = nullptr;
    return json_reply(request, 404, answer);
  }
  answer["value"] = entry->value;
  answer["version"] = format_version(entry->version);
  return json_reply(request, 200, answer);
}

HttpResponse Region::forward_read(const HttpRequest& request, const std::string& home) {
  auto address = config_.topology.at(home).address(config_.app_host);
  if (!address) return json_reply(request, 503, {{"error", "home region has no app"}});
  http::Client client(*address, config_.port, 1s);
  auto outcome = client.get(std::string(request.target()),
                            {{kSessionHeader, header(request, kSessionHeader)},
                             {kForwardedHeader, config_.name}});
  if (!outcome.response)
    return json_reply(request, 503,
                      {{"error", "forwarding to home region " + home + ": " + outcome.error},
                       {"served_by", config_.name}});
  return relay(request, outcome.response->status, outcome.response->body);
}

HttpResponse Region::handle(const HttpRequest& request) {
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));
  const auto method = request.method();
  try {
    auto data_route = [&](const std::string& prefix) -> std::optional<std::string> {
      if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size())
        return path.substr(prefix.size());
      return std::nullopt;
    };
    std::optional<std::string> key;
    DataClass cls = DataClass::global;
    std::string customer;
    if ((key = data_route("/global/")) || (key = data_route("/kv/"))) {
      cls = DataClass::global;
    } else if ((key = data_route("/ephemeral/"))) {
      cls = DataClass::ephemeral;
    } else if (auto rest = data_route("/customer/")) {
      auto parts = two_parts(*rest);
      if (!parts) return json_reply(request, 400, {{"error", "use /customer/{id}/{key}"}});
      cls = DataClass::customer;
      customer = parts->first;
      key = parts->second;
      // A cell trusts the edge router, which resolved the customer's cell
      // from the routing data the cell does not hold.
      if (config_.cell.empty() && !home_of(customer))
        return json_reply(request, 404,
                          {{"error", "unknown customer " + customer}, {"served_by", config_.name}});
    }
    if (key && key->find('/') == std::string::npos) {
      if (method == beast_http::verb::put) return write(request, cls, customer, *key);
      if (method == beast_http::verb::get) return read(request, cls, customer, *key);
    }
    if (path == "/cells/adopt" && method == beast_http::verb::post)
      return adopt_cell(request, query_value(target, "from"));
    if (path == "/routing" && method == beast_http::verb::get) return routing_table(request);
    if (path == "/replicate" && method == beast_http::verb::post) {
      absorb(decode_records(request.body()));
      return json_reply(request, 200, {{"served_by", config_.name}});
    }
    if (path == "/dump" && method == beast_http::verb::get) {
      HttpResponse response = json_reply(request, 200, nullptr);
      response.body() = encode_records(records_for(query_value(target, "for")));
      response.prepare_payload();
      return response;
    }
    if (path == "/health" && method == beast_http::verb::get)
      return json_reply(request, 200, {{"served_by", config_.name}, {"status", "ok"}});
    if (path == "/health/deep" && method == beast_http::verb::get) {
      const bool database = storage_.ping();
      return json_reply(request, database ? 200 : 503,
                        {{"served_by", config_.name},
                         {"status", database ? "healthy" : "degraded"},
                         {"checks", {{"database", database}}}});
    }
    return json_reply(request, 404, {{"error", "no such route"}});
  } catch (const StorageError& e) {
    // 503: certainly not applied; 504: the database may have applied it.
    return json_reply(request, e.maybe_applied() ? 504 : 503,
                      {{"error", e.what()}, {"served_by", config_.name}});
  } catch (const std::exception& e) {
    return json_reply(request, 400, {{"error", e.what()}, {"served_by", config_.name}});
  }
}

void Region::anti_entropy_loop() {
  std::map<std::string, std::unique_ptr<http::Client>> clients;
  for (const auto& r : config_.topology.regions)
    if (r.name != config_.name)
      if (auto address = r.address(config_.app_host))
        clients[r.name] = std::make_unique<http::Client>(*address, config_.port, 1s);
  // Right away at start, so a restarted region catches up before it serves
  // for long; then every interval.
  while (!stopping_) {
    for (auto& [peer, client] : clients) {
      if (stopping_) return;
      auto outcome = client->get("/dump?for=" + config_.name);
      if (!outcome.response || outcome.response->status != 200) continue;
      try {
        absorb(decode_records(outcome.response->body));
      } catch (const std::exception& e) {
        log_("anti-entropy from " + peer + ": " + e.what());
      }
    }
    for (auto waited = 0ms; waited < config_.anti_entropy_interval && !stopping_; waited += 50ms)
      std::this_thread::sleep_for(50ms);
  }
}

void Region::write_behind_loop() {
  while (!stopping_) {
    Record record;
    {
      std::unique_lock lock(behind_mutex_);
      behind_ready_.wait(lock, [&] { return stopping_ || !behind_.empty(); });
      if (stopping_) return;
      record = std::move(behind_.front());
      behind_.pop_front();
    }
    try {
      commit(record);
    } catch (const std::exception& e) {
      // The client was told "ok" long ago; the write is simply gone.
      log_("write-behind: dropping an acknowledged write of " + record.key + ": " + e.what());
    }
  }
}

}  // namespace faultline::kvstore
