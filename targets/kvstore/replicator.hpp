#pragma once
// Asynchronous replication to the other regions: each peer has its own queue and
// sender thread; a batch is retried until the peer takes it, so writes made
// during a partition arrive once it heals.
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "targets/kvstore/store.hpp"

namespace faultline::kvstore {

struct Peer {
  std::string address;
  unsigned short port = 0;
};

class Replicator {
 public:
  explicit Replicator(std::vector<Peer> peers);
  ~Replicator();
  void publish(const std::string& key, const Entry& entry);

 private:
  struct Queue {
    Peer peer;
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::pair<std::string, Entry>> pending;
    std::thread sender;
  };
  void send_loop(Queue& queue);

  std::vector<std::unique_ptr<Queue>> queues_;
  std::atomic<bool> stopping_{false};
};

// JSON wire form of a batch of entries (POST /replicate, GET /dump).
std::string encode_entries(const std::vector<std::pair<std::string, Entry>>& entries);
std::vector<std::pair<std::string, Entry>> decode_entries(const std::string& body);

}  // namespace faultline::kvstore
