#pragma once
// One region of the reference store: the `app` service of the multi-region
// design, in front of the region's own database.
//
//   PUT|GET /global/{key}          global data (also /kv/{key}); every region
//   PUT|GET /customer/{id}/{key}   customer data; home and failover region only
//   PUT|GET /ephemeral/{key}       regional state; never leaves the region
//   POST    /replicate             a peer's writes, merged last-writer-wins
//   GET     /dump?for=REGION       what REGION should hold, for anti-entropy
//   GET     /health                the process answers
//   GET     /health/deep           the process answers and its database does
//
// Customer reads honour a session token (header X-Session-Token: the version
// of the session's last write or read of that key): a replica behind it waits
// up to a bound, then forwards the read to the customer's home region. Every
// answer names the region that served it and the version it holds.
//
// A customer's home region is global data, key "customer:{id}", written when
// the customer signs up; a region refuses customer operations for customers
// it does not know.
//
// A cell (`cell` set) is one more process of the region serving only the
// customer data of the customers assigned to it, from a table of its own in
// the region's database; the edge router picks the cell. It replicates
// nothing (customer data is cell-local, the guide's table) and answers:
//
//   POST    /cells/adopt?from=CELL copy CELL's customer data into this cell
//                                  (a failed cell's customers moving here)
//
// and the region's app (no cell) answers the whole routing table:
//
//   GET     /routing               every customer's assignment, for the
//                                  edges' static routing tables
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "targets/kvstore/bugs.hpp"
#include "targets/kvstore/http_server.hpp"
#include "targets/kvstore/replicator.hpp"
#include "targets/kvstore/storage.hpp"
#include "targets/kvstore/topology.hpp"

namespace faultline::kvstore {

inline constexpr const char* kSessionHeader = "X-Session-Token";
inline constexpr const char* kForwardedHeader = "X-Faultline-Forwarded";

struct RegionConfig {
  std::string name;
  Topology topology;
  std::string app_host = "app";  // where every region's app runs
  unsigned short port = 8080;    // every region's app listens on it
  Bug bug = Bug::none;
  std::chrono::milliseconds session_wait{1000};
  std::chrono::milliseconds anti_entropy_interval{1000};
  ReplicationPolicy replication;
  std::string cell;  // empty: the region's app
  // The storage of another cell of this region (its table in the same
  // database), for adopting that cell's customers.
  std::function<std::unique_ptr<Storage>(const std::string& cell)> cell_storage;
};

// The customer key of a global routing record: "customer:{id}".
std::string home_key(const std::string& customer);

class Region {
 public:
  Region(RegionConfig config, Storage& storage, Log log);
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  // Starts replication, anti-entropy and (with the ack-before-commit bug) the
  // write-behind queue.
  void start();
  HttpResponse handle(const HttpRequest& request);
  void absorb(const std::vector<Record>& records);
  // What `peer` should hold of this region's data: all global data, and the
  // customer data of customers whose replicas include `peer`.
  std::vector<Record> records_for(const std::string& peer);

 private:
  HttpResponse write(const HttpRequest& request, DataClass cls, const std::string& customer,
                     const std::string& key);
  HttpResponse read(const HttpRequest& request, DataClass cls, const std::string& customer,
                    const std::string& key);
  HttpResponse forward_read(const HttpRequest& request, const std::string& home);
  HttpResponse adopt_cell(const HttpRequest& request, const std::string& from);  // region_cells.cpp
  HttpResponse routing_table(const HttpRequest& request);                         // region_cells.cpp
  nlohmann::json served() const;  // {"served_by": region[, "cell": cell]}
  std::optional<std::string> home_of(const std::string& customer);
  std::vector<std::string> replicate_to(const Record& record);
  void commit(const Record& record);  // database, then replication
  void anti_entropy_loop();
  void write_behind_loop();
  Version stamp(const std::optional<Version>& token);

  RegionConfig config_;
  Storage& storage_;
  Log log_;
  std::mutex clock_mutex_;
  HybridClock clock_;
  std::mutex homes_mutex_;
  std::map<std::string, std::string> homes_;  // customer -> home region, once known
  std::unique_ptr<Replicator> replicator_;
  std::atomic<bool> stopping_{false};
  std::thread anti_entropy_;
  // ack-before-commit: acknowledged writes waiting for the database.
  std::mutex behind_mutex_;
  std::condition_variable behind_ready_;
  std::deque<Record> behind_;
  std::thread write_behind_;
};

}  // namespace faultline::kvstore
