#include "targets/kvstore/replicator.hpp"

#include <nlohmann/json.hpp>

#include "common/http_client.hpp"

namespace faultline::kvstore {

using namespace std::chrono_literals;

namespace {
constexpr std::size_t kBatch = 256;
constexpr auto kRetryPause = 200ms;
}  // namespace

std::string encode_entries(const std::vector<std::pair<std::string, Entry>>& entries) {
  nlohmann::json batch = nlohmann::json::array();
  for (const auto& [key, entry] : entries)
    batch.push_back({{"k", key},
                     {"v", entry.value},
                     {"ts", entry.version.timestamp},
                     {"r", entry.version.region}});
  return batch.dump();
}

std::vector<std::pair<std::string, Entry>> decode_entries(const std::string& body) {
  std::vector<std::pair<std::string, Entry>> entries;
  for (const auto& item : nlohmann::json::parse(body))
    entries.emplace_back(
        item.at("k").get<std::string>(),
        Entry{item.at("v").get<std::string>(),
              Version{item.at("ts").get<std::uint64_t>(), item.at("r").get<std::string>()}});
  return entries;
}

Replicator::Replicator(std::vector<Peer> peers) {
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

void Replicator::publish(const std::string& key, const Entry& entry) {
  for (auto& queue : queues_) {
    {
      std::lock_guard lock(queue->mutex);
      queue->pending.emplace_back(key, entry);
    }
    queue->ready.notify_one();
  }
}

void Replicator::send_loop(Queue& queue) {
  http::Client client(queue.peer.address, queue.peer.port, 1s);
  while (!stopping_) {
    std::vector<std::pair<std::string, Entry>> batch;
    {
      std::unique_lock lock(queue.mutex);
      queue.ready.wait(lock, [&] { return stopping_ || !queue.pending.empty(); });
      if (stopping_) return;
      auto n = std::min(kBatch, queue.pending.size());
      batch.assign(queue.pending.begin(), queue.pending.begin() + static_cast<long>(n));
    }
    auto outcome =
        client.request(boost::beast::http::verb::post, "/replicate", encode_entries(batch));
    if (outcome.response && outcome.response->status == 200) {
      // Merging is idempotent, so a batch resent after an unknown outcome is harmless.
      std::lock_guard lock(queue.mutex);
      queue.pending.erase(queue.pending.begin(),
                          queue.pending.begin() + static_cast<long>(batch.size()));
    } else {
      std::this_thread::sleep_for(kRetryPause);
    }
  }
}

}  // namespace faultline::kvstore
