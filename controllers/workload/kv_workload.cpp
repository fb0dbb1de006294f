#include "controllers/workload/kv_workload.hpp"

#include <chrono>
#include <random>

#include "common/http_client.hpp"
#include "controllers/workload/kv_client.hpp"

namespace faultline {

std::vector<std::string> workload_keys(int count) {
  std::vector<std::string> keys;
  for (int i = 0; i < count; ++i) keys.push_back("k" + std::to_string(i));
  return keys;
}

KvWorkload::KvWorkload(WorkloadSpec spec, std::vector<WorkloadTarget> targets,
                       HistoryRecorder& history, std::uint64_t seed)
    : spec_(std::move(spec)),
      targets_(std::move(targets)),
      history_(history),
      seed_(seed),
      keys_(workload_keys(spec_.keys)) {}

void KvWorkload::start() {
  int client = 0;
  for (const auto& target : targets_)
    for (int i = 0; i < spec_.clients_per_region; ++i, ++client)
      threads_.emplace_back([this, client, &target] { client_loop(client, target); });
}

void KvWorkload::stop() {
  stopping_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void KvWorkload::client_loop(int client, const WorkloadTarget& target) {
  using Clock = std::chrono::steady_clock;
  injector::enter_namespace(*target.client_netns);

  const int clients = static_cast<int>(targets_.size()) * spec_.clients_per_region;
  const auto interval = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(clients / spec_.rate));
  std::mt19937_64 rng(seed_ * 1000003 + static_cast<std::uint64_t>(client));
  std::uniform_int_distribution<std::size_t> pick_key(0, keys_.size() - 1);
  std::bernoulli_distribution is_read(spec_.read_fraction);

  KvClient kv(target.address, spec_.port, spec_.timeout, history_, target.region);
  // Jepsen's rule: after an indeterminate (info) result a process may still be
  // acting, so the client continues under a fresh process number.
  std::int64_t process = client;
  std::int64_t counter = 0;
  // Spread the clients' start over one interval so they do not fire in step.
  auto next = Clock::now() + interval * client / std::max(clients, 1);
  while (!stopping_) {
    std::this_thread::sleep_until(std::min(next, Clock::now() + std::chrono::milliseconds(50)));
    if (Clock::now() < next) continue;
    next += interval;
    if (next < Clock::now()) next = Clock::now() + interval;  // fell behind: do not burst

    const std::string& key = keys_[pick_key(rng)];
    OpType outcome;
    if (is_read(rng)) {
      outcome = kv.read(process, "read", key).type;
    } else {
      // Values are unique across the run: process numbers never repeat.
      std::int64_t value = process * 1000000 + counter++;
      outcome = kv.write(process, key, value);
    }
    ++completed_;
    if (outcome != OpType::ok) ++failed_;
    if (outcome == OpType::info) process += clients;
  }
}

}  // namespace faultline
