#include "targets/kvstore/replicator.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/http_client.hpp"

namespace faultline::kvstore {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kBatch = 256;
constexpr auto kRetryPause = 100ms;
}  // namespace

std::string encode_records(const std::vector<Record>& records) {
  nlohmann::json batch = nlohmann::json::array();
  for (const auto& r : records)
    batch.push_back({{"c", data_class_name(r.data_class)},
                     {"u", r.customer},
                     {"k", r.key},
                     {"v", r.entry.value},
                     {"ts", r.entry.version.timestamp},
                     {"r", r.entry.version.region}});
  return batch.dump();
}

std::vector<Record> decode_records(const std::string& body) {
  std::vector<Record> records;
  for (const auto& item : nlohmann::json::parse(body)) {
    auto cls = parse_data_class(item.at("c").get<std::string>());
    if (!cls) throw std::invalid_argument("unknown data class " + item.at("c").dump());
    records.push_back({*cls, item.at("u").get<std::string>(), item.at("k").get<std::string>(),
                       Entry{item.at("v").get<std::string>(),
                             Version{item.at("ts").get<std::uint64_t>(),
                                     item.at("r").get<std::string>()}}});
  }
  return records;
}

Replicator::Replicator(std::vector<Peer> peers, ReplicationPolicy policy, Log log)
    : policy_(policy), log_(std::move(log)) {
  for (auto& peer : peers) {
    auto queue = std::make_unique<Queue>();
    queue->peer = std::move(peer);
    queues_.push_back(std::move(queue));
  }
  for (auto& queue : queues_)
    queue->sender = std::thread([this, q = queue.get()] { send_loop(*q); });
}

Replicator::~Replicator() {
  stopping_ = true;
  for (auto& queue : queues_) {
    queue->ready.notify_all();
    queue->sender.join();
  }
}

void Replicator::publish(const Record& record, const std::vector<std::string>& regions) {
  for (auto& queue : queues_) {
    if (std::find(regions.begin(), regions.end(), queue->peer.region) == regions.end()) continue;
    {
      std::lock_guard lock(queue->mutex);
      queue->pending.push_back(record);
      if (queue->pending.size() > policy_.max_queue) {
        queue->pending.pop_front();
        ++queue->dropped;
      }
    }
    queue->ready.notify_one();
  }
}

void Replicator::send_loop(Queue& queue) {
  http::Client client(queue.peer.address, queue.peer.port, 1s);
  bool failing = false;
  Clock::time_point failing_since{};
  while (!stopping_) {
    std::vector<Record> batch;
    {
      std::unique_lock lock(queue.mutex);
      queue.ready.wait(lock, [&] { return stopping_ || !queue.pending.empty(); });
      if (stopping_) return;
      // Let a batch gather for one flush interval, as replication streams do.
      if (!failing)
        queue.ready.wait_for(lock, policy_.flush_interval, [&] { return stopping_.load(); });
      if (stopping_) return;
      const auto n = std::min(kBatch, queue.pending.size());
      batch.assign(queue.pending.begin(), queue.pending.begin() + static_cast<long>(n));
    }
    auto outcome =
        client.request(boost::beast::http::verb::post, "/replicate", encode_records(batch));
    const bool delivered = outcome.response && outcome.response->status == 200;
    if (!delivered && !failing) {
      failing = true;
      failing_since = Clock::now();
    }
    const bool give_up = !delivered && Clock::now() - failing_since > policy_.give_up_after;
    if (delivered || give_up) {
      // Merging is idempotent, so a batch resent after an unknown outcome is harmless.
      std::lock_guard lock(queue.mutex);
      queue.pending.erase(queue.pending.begin(),
                          queue.pending.begin() + static_cast<long>(batch.size()));
      if (give_up) {
        queue.dropped += batch.size();
        log_("replication to " + queue.peer.region + " dropped " + std::to_string(batch.size()) +
             " writes after " + std::to_string(policy_.give_up_after.count()) +
             " ms of failures (" + (outcome.error.empty() ? "refused" : outcome.error) +
             "); anti-entropy repairs them");
      } else {
        failing = false;
      }
      continue;
    }
    std::this_thread::sleep_for(kRetryPause);
  }
}

}  // namespace faultline::kvstore
