#include "controllers/workload/kv_workload.hpp"

#include <charconv>
#include <chrono>
#include <map>
#include <random>
#include <stdexcept>

#include "common/http_client.hpp"
#include "controllers/workload/kv_client.hpp"

namespace faultline {

using namespace std::chrono_literals;

namespace {

// Versions are "ts@region"; the session token keeps the highest seen.
bool version_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& v) {
    const auto at = v.find('@');
    std::uint64_t ts = 0;
    std::from_chars(v.data(), v.data() + (at == std::string::npos ? v.size() : at), ts);
    return std::make_pair(ts, at == std::string::npos ? std::string() : v.substr(at + 1));
  };
  return split(a) < split(b);
}

}  // namespace

std::vector<std::string> workload_keys(int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back("k" + std::to_string(i));
  return keys;
}

KvWorkload::KvWorkload(const Experiment& experiment, std::vector<WorkloadTarget> targets,
                       HistoryRecorder& history)
    : experiment_(experiment),
      spec_(experiment.workload),
      targets_(std::move(targets)),
      history_(history),
      seed_(experiment.seed),
      keys_(workload_keys(spec_.keys)),
      customers_(plan_customers(experiment)) {}

void KvWorkload::sign_up(std::chrono::milliseconds patience) {
  if (customers_.empty()) return;
  auto target_of = [&](const std::string& region) -> const WorkloadTarget& {
    for (const auto& t : targets_)
      if (t.region == region) return t;
    throw std::logic_error("no workload target in region " + region);
  };
  const std::uint16_t port = experiment_.state_port();
  std::string problem;
  std::thread([&] {
    try {
      for (const auto& c : customers_) {
        const WorkloadTarget& home = target_of(c.home);
        injector::enter_namespace(*home.client_netns);
        KvClient kv(home.state_address, port, spec_.timeout, history_, home.region);
        Operation done = kv.put(2000000, "register", "/global/customer:" + c.id, c.home,
                                nlohmann::json{{"customer", c.id}, {"home", c.home}});
        if (done.type != OpType::ok)
          throw std::runtime_error("signing up customer " + c.id + " at " + c.home + ": " +
                                   done.error);
      }
      // Global data replicates asynchronously: wait until every region can route.
      for (const auto& t : targets_) {
        injector::enter_namespace(*t.client_netns);
        http::Client client(t.state_address, port, spec_.timeout);
        const auto deadline = std::chrono::steady_clock::now() + patience;
        for (const auto& c : customers_) {
          for (;;) {
            auto outcome = client.get("/global/customer:" + c.id);
            if (outcome.response && outcome.response->status == 200) break;
            if (std::chrono::steady_clock::now() > deadline)
              throw std::runtime_error("region " + t.region + " does not know customer " + c.id +
                                       " " + std::to_string(patience.count()) +
                                       " ms after sign-up: is global data replicated?");
            std::this_thread::sleep_for(50ms);
          }
        }
      }
    } catch (const std::exception& e) {
      problem = e.what();
    }
  }).join();
  if (!problem.empty()) throw std::runtime_error(problem);
}

void KvWorkload::start() {
  int client = 0;
  for (const auto& target : targets_) {
    // This region's sessions share the customers placed here, round-robin.
    std::vector<std::vector<std::string>> owned(static_cast<std::size_t>(spec_.clients_per_region));
    std::size_t next = 0;
    for (const auto& c : customers_)
      if (c.session_region == target.region) owned[next++ % owned.size()].push_back(c.id);
    for (int i = 0; i < spec_.clients_per_region; ++i, ++client) {
      if (spec_.data == WorkloadData::customers && owned[static_cast<std::size_t>(i)].empty())
        continue;  // more clients than customers here
      threads_.emplace_back([this, client, &target, mine = owned[static_cast<std::size_t>(i)]] {
        client_loop(client, target, mine);
      });
    }
  }
}

void KvWorkload::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void KvWorkload::client_loop(int client, const WorkloadTarget& target,
                             std::vector<std::string> customers) {
  using Clock = std::chrono::steady_clock;
  injector::enter_namespace(*target.client_netns);

  const int clients = static_cast<int>(targets_.size()) * spec_.clients_per_region;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(clients / spec_.rate));
  std::mt19937_64 rng(seed_ * 1000003 + static_cast<std::uint64_t>(client));
  std::uniform_int_distribution<std::size_t> pick_key(0, keys_.size() - 1);
  std::uniform_int_distribution<std::size_t> pick_customer(
      0, customers.empty() ? 0 : customers.size() - 1);
  std::bernoulli_distribution is_read(spec_.read_fraction);

  KvClient kv(target.address, spec_.port, spec_.timeout, history_, target.region);
  // The session token: per key, the highest version this session wrote or read.
  std::map<std::string, std::string> tokens;
  // Jepsen's rule: after an indeterminate (info) result a process may still be
  // acting, so the client continues under a fresh process number. The session
  // (the client) stays the same.
  std::int64_t process = client;
  std::int64_t counter = 0;
  // Spread the clients' start over one interval so they do not fire in step.
  auto next = Clock::now() + interval * client / std::max(clients, 1);
  while (!stopping_) {
    std::this_thread::sleep_until(std::min(next, Clock::now() + std::chrono::milliseconds(50)));
    if (Clock::now() < next) continue;
    next += interval;
    if (next < Clock::now()) next = Clock::now() + interval;  // fell behind: do not burst

    const std::string& k = keys_[pick_key(rng)];
    const KvKey key = customers.empty() ? global_key(k) : customer_key(customers[pick_customer(rng)], k);
    const std::string token = customers.empty() ? "" : tokens[key.label];
    Operation done;
    if (is_read(rng)) {
      done = kv.read(process, client, "read", key, token);
    } else {
      // Values are unique across the run: process numbers never repeat.
      done = kv.write(process, client, key, process * 1000000 + counter++, token);
    }
    if (done.type == OpType::ok && !done.version.empty() &&
        (token.empty() || version_less(token, done.version)))
      tokens[key.label] = done.version;
    ++completed_;
    if (done.type != OpType::ok) ++failed_;
    if (done.type == OpType::info) process += clients;
  }
}

}  // namespace faultline
