#pragma once
// Reads and writes against one region of the kv target, each recorded in the
// history as an invoke followed by its completion:
//   ok    the server answered;
//   fail  it certainly did not happen (could not connect, or refused);
//   info  the outcome is unknown (sent, then no answer in time).
#include <chrono>
#include <cstdint>
#include <string>

#include "common/http_client.hpp"
#include "controllers/history/history.hpp"

namespace faultline {

class KvClient {
 public:
  KvClient(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout,
           HistoryRecorder& history, std::string region);

  // Returns the completion recorded.
  Operation read(std::int64_t process, const std::string& f, const std::string& key);
  OpType write(std::int64_t process, const std::string& key, std::int64_t value);

 private:
  http::Client http_;
  HistoryRecorder& history_;
  std::string region_;
};

}  // namespace faultline
