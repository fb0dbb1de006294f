#pragma once
// The region's database: PostgreSQL over TCP with libpq.
//
// One table holds every data class (`entries`; a cell keeps its customers'
// data in a table of its own, `cell_{name}`, in the region's database); last-writer-wins is a single
// INSERT ... ON CONFLICT ... WHERE (new version) > (stored version), so the
// database decides atomically. Every query runs against a deadline through
// libpq's asynchronous API: a database that is slow, paused or cut off makes
// the query fail with StorageError after `timeout` instead of hanging the
// request, and the connection is dropped and made afresh on the next use.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "targets/kvstore/storage.hpp"

struct pg_conn;

namespace faultline::kvstore {

class PostgresStorage : public Storage {
 public:
  // `conninfo` in libpq's form: "host=198.18.1.11 port=5432 user=faultline".
  // `table`: a plain SQL name (letters, digits, '_'), created on first use.
  PostgresStorage(std::string conninfo, std::chrono::milliseconds timeout,
                  std::string table = "entries");
  ~PostgresStorage() override;

  std::size_t merge(const std::vector<Record>& records) override;
  std::optional<Entry> get(DataClass c, const std::string& customer,
                           const std::string& key) override;
  std::vector<Record> scan(DataClass c) override;
  bool ping() override;

 private:
  class Connection;
  // Borrows a connection from the pool (connecting if none is idle) and
  // returns it afterwards unless it broke.
  class Lease;
  std::unique_ptr<Connection> acquire();
  void release(std::unique_ptr<Connection> connection);

  std::string conninfo_;
  std::chrono::milliseconds timeout_;
  std::string table_;
  std::string schema_sql_, merge_sql_, get_sql_, scan_sql_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace faultline::kvstore
