#pragma once
// Reads and writes against one region of a key-value service, each recorded
// in the history as an invoke followed by its completion:
//   ok    the server answered (a read of a missing key reads null);
//   fail  it certainly did not happen (could not connect, or refused: 4xx,
//         503);
//   info  the outcome is unknown (sent, then no answer in time, or 504: the
//         server says it may have acted).
//
// Keys are addressed as global data (/kv/{key}) or as a customer's data
// (/customer/{id}/{key}, recorded as "{id}/{key}"). A session token, when
// given, travels in the X-Session-Token header; the version the server
// reports comes back in the completion.
#include <chrono>
#include <cstdint>
#include <string>

#include "common/http_client.hpp"
#include "controllers/history/history.hpp"

namespace faultline {

inline constexpr const char* kSessionTokenHeader = "X-Session-Token";

struct KvKey {
  std::string label;  // as recorded in the history: "k3" or "eu-west-1-c0/k3"
  std::string path;   // as requested: "/kv/k3" or "/customer/eu-west-1-c0/k3"
};

KvKey global_key(const std::string& key);
KvKey customer_key(const std::string& customer, const std::string& key);

class KvClient {
 public:
  KvClient(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout,
           HistoryRecorder& history, std::string region);

  // Each returns the completion recorded.
  Operation read(std::int64_t process, std::int64_t session, const std::string& f,
                 const KvKey& key, const std::string& token = "");
  Operation write(std::int64_t process, std::int64_t session, const KvKey& key,
                  std::int64_t value, const std::string& token = "");
  // A write of a text value under any path (customer sign-up).
  Operation put(std::int64_t process, const std::string& f, const std::string& path,
                const std::string& body, nlohmann::json recorded_value);

 private:
  Operation complete(Operation invoke, const http::Outcome& outcome, bool is_read);

  http::Client http_;
  HistoryRecorder& history_;
  std::string region_;
};

}  // namespace faultline
