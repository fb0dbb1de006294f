#pragma once
// The HTTP face of one region of the reference store.
//
//   PUT  /kv/{key}   body = value      write locally, replicate asynchronously
//   GET  /kv/{key}                     read the local replica
//   POST /replicate  JSON entries      merge a peer's writes (last-writer-wins)
//   GET  /dump                         every entry, for anti-entropy at start
//   GET  /health                       200 when serving
//
// Every answer names the region that served it and the version it holds, so a
// workload can record `served_by` in its history.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <mutex>
#include <string>

#include "targets/kvstore/replicator.hpp"
#include "targets/kvstore/store.hpp"

namespace faultline::kvstore {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

class Region {
 public:
  Region(std::string name, Replicator* replicator)
      : name_(std::move(name)), replicator_(replicator) {}

  HttpResponse handle(const HttpRequest& request);
  void absorb(const std::vector<std::pair<std::string, Entry>>& entries);

 private:
  std::string name_;
  Replicator* replicator_;  // null when replication is switched off
  Store store_;
  std::mutex clock_mutex_;
  HybridClock clock_;
};

// Accepts connections on address:port and serves each on its own thread.
void serve(Region& region, const std::string& address, unsigned short port);

}  // namespace faultline::kvstore
