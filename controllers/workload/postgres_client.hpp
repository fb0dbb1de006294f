#pragma once
// PostgreSQL over libpq as a Client (client.hpp). Each operation is one or
// more statements, every one of which the experiment may replace; the
// defaults create their table when it is absent:
//   register  read   SELECT v FROM registers WHERE k = $1           -> [k, v]
//             write  INSERT ... ON CONFLICT (k) DO UPDATE           $1 k, $2 v
//             cas    UPDATE registers SET v = $3 WHERE k = $1 AND v = $2
//                    (expected null: cas_absent, an INSERT ... DO NOTHING)
//                    one row changed -> ok, none -> fail
//   set       add    INSERT INTO sets (k, element) VALUES ($1, $2)
//             read   SELECT element FROM sets WHERE k = $1          -> [k, [e...]]
//   list-append txn  BEGIN ISOLATION LEVEL <isolation>; per micro-operation
//                    an append ($1 k, $2 v) or a read of the list (its
//                    elements, one per row, in order); COMMIT
// and a final read is the workload's read.
//
// How an operation completes:
//   ok    the server answered and, for a transaction, COMMIT succeeded;
//   fail  it certainly did not happen: no server accepting writes could be
//         reached, or the request could not be sent, or the server refused
//         it and the connection is still up (a statement error rolls its
//         transaction back: serialization failures 40001 and 40P01, a
//         read-only server's 25006, a statement timeout's 57014), or the
//         connection was lost inside a transaction before COMMIT was sent;
//         and any unsuccessful operation that only reads;
//   info  its outcome is unknown: a write (or COMMIT) was sent and then the
//         connection was lost or the timeout passed, or the server reported
//         success only after giving up waiting for synchronous replication
//         (the transaction committed locally; a failover may yet lose it).
//
// Where it connects: a multi-host connection string over the database's
// hosts in failover order with target_session_attrs=read-write, so after a
// promotion the client finds the new primary (libpq skips servers in
// recovery). A host that does not answer within its share of the timeout is
// given up as a refused one would be, and the next is tried. The connection
// is kept across operations and dropped after any outcome that leaves it in
// doubt. served_by is the region of the server that answered.
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controllers/workload/client.hpp"

struct pg_conn;

namespace faultline {

struct Experiment;
struct TopologyPlan;

// The statements an operation may run, each overridable from the experiment
// ([workload.postgres]). Parameters are text: $1 the key, $2 the value
// (cas: $2 expected, $3 new).
struct PostgresStatements {
  std::string setup;  // run on each new connection; may hold several statements
  std::string read, write, cas, cas_absent;  // register
  std::string add, read_set;                 // set
  std::string append, read_list;             // list-append
};
// The defaults for a workload kind ("register", "set", "list-append"):
// setup creates that kind's table if it is absent.
PostgresStatements default_postgres_statements(const std::string& workload);

struct PostgresHost {
  std::string address;  // an IP address
  std::uint16_t port = 5432;
  std::string region;  // reported as served_by
};

struct PostgresTarget {
  std::vector<PostgresHost> hosts;  // in failover order
  std::string database = "postgres";
  std::string user = "faultline";
  std::string isolation = "read committed";  // or "repeatable read", "serializable"
  std::string workload = "register";         // the workload kind carried
  PostgresStatements statements = default_postgres_statements("register");
  std::chrono::milliseconds timeout{1000};  // per operation, connecting included
};

// The isolation levels PostgreSQL names, as the experiment writes them.
const std::vector<std::string>& postgres_isolation_levels();

// --- The pure parts ------------------------------------------------------

// The libpq connection string: every host (hostaddr) and its port in order,
// target_session_attrs=read-write, and the server settings the client
// relies on (statement_timeout = the operation timeout, the default
// isolation level) in `options`, so no round trip sets them.
std::string postgres_conninfo(const PostgresTarget& target);

// One statement of an operation and what its result means.
struct PostgresStep {
  enum class Result {
    none,      // only success matters
    value,     // first column of the first row: an integer, or null without a row
    elements,  // first column of every row, in order: a list of integers
    one_row,   // a row was affected (cas): ok; none: fail
  };
  std::string sql;
  std::vector<std::optional<std::string>> params;  // nullopt: SQL NULL
  Result result = Result::none;
  int mop = -1;         // list-append: the micro-operation it completes; -1: the operation's
  bool writes = false;  // whether it may change data
  bool commit = false;  // the COMMIT of a transaction
};

// The statements `op` runs, in order; a list-append transaction comes with
// BEGIN ISOLATION LEVEL ... first and COMMIT last. Throws
// std::invalid_argument for an operation the workload does not have.
std::vector<PostgresStep> postgres_steps(const Operation& op, const PostgresTarget& target);

// What is known when an operation did not succeed.
struct PostgresFailure {
  bool sent = false;             // a statement that writes (or COMMIT) reached the wire
  bool commit_sent = false;      // in a transaction: COMMIT was sent
  bool in_transaction = false;   // the operation is a BEGIN ... COMMIT transaction
  bool connection_lost = false;  // the connection broke or the deadline passed
  std::string sqlstate;          // the server's error code, if it answered one
};
// fail or info, by the rules above. `writes`: whether the operation may
// change data (a read that did not succeed is always a fail).
OpType postgres_outcome(const PostgresFailure& failure, bool writes);

// An integer written as text by the server ("4000001"), or nullopt.
std::optional<std::int64_t> postgres_integer(const char* text);

// Whether a notice says the server stopped waiting for synchronous
// replication after the commit was made locally: PostgreSQL then reports
// success with this warning (src/backend/replication/syncrep.c).
bool is_sync_replication_cancel(const std::string& message);

// --- The client ----------------------------------------------------------

class PostgresClient final : public Client {
 public:
  explicit PostgresClient(PostgresTarget target);
  ~PostgresClient() override;
  PostgresClient(const PostgresClient&) = delete;
  PostgresClient& operator=(const PostgresClient&) = delete;
  Operation invoke(const Operation& invoke) override;

  // Connections made so far, for tests and the log.
  int connections() const { return connections_; }

 private:
  class Connection;
  Operation run(Operation done, const std::vector<PostgresStep>& steps,
                std::chrono::steady_clock::time_point deadline);

  PostgresTarget target_;
  std::string conninfo_;
  std::unique_ptr<Connection> connection_;  // null: connect at the next operation
  int connections_ = 0;
};

// Every session opens its own client (its own connection) to the same
// servers, wherever it runs: one database the regions share.
class PostgresClientFactory final : public ClientFactory {
 public:
  explicit PostgresClientFactory(PostgresTarget target) : target_(std::move(target)) {}
  std::unique_ptr<Client> open(const std::string& region) override;

 private:
  PostgresTarget target_;
};

// The experiment's servers and options ([workload.postgres]): the host of its
// service in each of its regions (all, in file order, by default), the
// workload's timeout, its statements over the workload kind's defaults.
// Throws std::logic_error for a service or region the plan lacks (validation
// refuses them).
PostgresTarget postgres_target(const Experiment& e, const TopologyPlan& plan);

}  // namespace faultline
