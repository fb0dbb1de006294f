#pragma once
// The reference store's HTTP API as a Client (see client.hpp):
//   read, final-read     GET  /kv/{key}, or /customer/{id}/{key} for a
//                             customer's key (recorded as "{id}/{key}")
//   write                PUT  the same path, the value as the body
//   register             PUT  /global/customer:{id}, the home as the body
//   read-registration    GET  /global/customer:{id}
// and how an answer completes the operation:
//   ok    the server answered (a read of a missing key reads null);
//   fail  it certainly did not happen (could not connect, or refused: 4xx,
//         503), and any unsuccessful read (a read has no effect);
//   info  the outcome is unknown (sent, then no answer in time, or 504: the
//         server says it may have acted).
// With session tokens on, the client keeps, per key, the highest version its
// session wrote or read, and sends it in the X-Session-Token header; the
// version the server reports comes back in the completion.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "common/http_client.hpp"
#include "controllers/workload/client.hpp"

namespace faultline {

inline constexpr const char* kSessionTokenHeader = "X-Session-Token";

// The path of a key as recorded in the history: "k3" -> "/kv/k3",
// "eu-west-1-c0/k3" -> "/customer/eu-west-1-c0/k3".
std::string kv_path(const std::string& key);

class KvClient final : public Client {
 public:
  KvClient(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout,
           bool session_tokens);
  Operation invoke(const Operation& invoke) override;

 private:
  Operation complete(Operation done, const http::Outcome& outcome, bool is_read,
                     bool absent_is_answer) const;
  std::string token_for(const std::string& key);
  void keep_token(const std::string& key, const Operation& done);

  http::Client http_;
  const bool session_tokens_;
  std::map<std::string, std::string> tokens_;  // key -> highest version seen
};

// Opens KvClients at each region's address of one service.
class KvClientFactory final : public ClientFactory {
 public:
  KvClientFactory(std::map<std::string, std::string> address_by_region, std::uint16_t port,
                  std::chrono::milliseconds timeout, bool session_tokens)
      : addresses_(std::move(address_by_region)),
        port_(port),
        timeout_(timeout),
        session_tokens_(session_tokens) {}
  std::unique_ptr<Client> open(const std::string& region) override;

 private:
  std::map<std::string, std::string> addresses_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  bool session_tokens_;
};

}  // namespace faultline
