#pragma once
// Asynchronous replication to the other regions, as managed multi-master
// tables do it: each peer has its own queue and sender thread, writes are
// shipped in batches every flush interval, and a batch that cannot be
// delivered within the retry budget is dropped. Replication is therefore
// lossy under a long partition; anti-entropy (AntiEntropy below) is what
// brings the regions back together.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "targets/kvstore/storage.hpp"

namespace faultline::kvstore {

struct Peer {
  std::string region;
  std::string address;
  unsigned short port = 0;
};

struct ReplicationPolicy {
  std::chrono::milliseconds flush_interval{100};
  std::chrono::milliseconds give_up_after{2000};
  std::size_t max_queue = 200000;  // beyond this the oldest writes are dropped
};

using Log = std::function<void(const std::string&)>;

class Replicator {
 public:
  Replicator(std::vector<Peer> peers, ReplicationPolicy policy, Log log);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Queues the record for each listed region that is a peer.
  void publish(const Record& record, const std::vector<std::string>& regions);

 private:
  struct Queue {
    Peer peer;
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<Record> pending;
    std::uint64_t dropped = 0;
    std::thread sender;
  };
  void send_loop(Queue& queue);

  ReplicationPolicy policy_;
  Log log_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::atomic<bool> stopping_{false};
};

// JSON wire form of records (POST /replicate, GET /dump).
std::string encode_records(const std::vector<Record>& records);
std::vector<Record> decode_records(const std::string& body);  // throws on malformed input

}  // namespace faultline::kvstore
