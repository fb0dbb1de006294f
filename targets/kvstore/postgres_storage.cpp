#include "targets/kvstore/postgres_storage.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <cctype>
#include <map>
#include <optional>
#include <tuple>

namespace faultline::kvstore {

using Clock = std::chrono::steady_clock;

namespace {

std::string schema_sql(const std::string& table) {
  return "CREATE TABLE IF NOT EXISTS " + table + " ("
    "  class text NOT NULL,"
    "  customer text NOT NULL,"
    "  key text NOT NULL,"
    "  value text NOT NULL,"
    "  ts bigint NOT NULL,"
    "  origin text COLLATE \"C\" NOT NULL,"
    "  PRIMARY KEY (class, customer, key))";
}

// The stored version is replaced only by a higher one: (ts, origin) compared
// as a pair, origin byte-wise (COLLATE "C") exactly as the C++ side does.
std::string merge_sql(const std::string& table) {
  return "INSERT INTO " + table + " AS e (class, customer, key, value, ts, origin) "
    "SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], "
    "$6::text[]) "
    "ON CONFLICT (class, customer, key) DO UPDATE "
    "SET value = EXCLUDED.value, ts = EXCLUDED.ts, origin = EXCLUDED.origin "
    "WHERE (EXCLUDED.ts, EXCLUDED.origin) > (e.ts, e.origin)";
}

// A PostgreSQL array literal of text: {"a","b\"c"}.
std::string text_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

}  // namespace

class PostgresStorage::Connection {
 public:
  Connection(const std::string& conninfo, const std::string& schema, Clock::time_point deadline) {
    conn_ = PQconnectStart(conninfo.c_str());
    if (conn_ == nullptr) throw StorageError("out of memory connecting to the database", false);
    // A constructor that throws runs no destructor: without this, every
    // connection that timed out, or whose schema statement a read-only
    // database refused, stayed open until the server ran out of slots.
    try {
      if (PQstatus(conn_) == CONNECTION_BAD) fail("cannot connect to the database");
      PostgresPollingStatusType status = PGRES_POLLING_WRITING;
      while (status != PGRES_POLLING_OK) {
        if (status == PGRES_POLLING_FAILED) fail("cannot connect to the database");
        wait(status == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, "connecting");
        status = PQconnectPoll(conn_);
      }
      connecting_ = false;
      PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);  // "already exists" notices
      exec(schema.c_str(), {}, deadline);
    } catch (...) {
      PQfinish(conn_);
      throw;
    }
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with text parameters; throws StorageError on an error
  // or when the deadline passes first (the connection is then unusable).
  Result exec(const char* sql, const std::vector<std::string>& params, Clock::time_point deadline) {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    if (PQsendQueryParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                          nullptr, nullptr, 0) == 0)
      fail("sending a query failed");
    while (PQflush(conn_) == 1) wait(POLLOUT, deadline, "sending a query");
    Result last;
    for (;;) {
      while (PQisBusy(conn_) != 0) {
        wait(POLLIN, deadline, "waiting for the database");
        if (PQconsumeInput(conn_) == 0) fail("reading from the database failed");
      }
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) break;
      last.reset(r);
      const auto status = PQresultStatus(r);
      if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        std::string message = PQresultErrorMessage(r);
        while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
        throw StorageError("database error: " + trim(message));
      }
    }
    return last;
  }

  // Broken, or left inside a transaction by an error: not fit for reuse.
  bool broken() const {
    return broken_ || PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    broken_ = true;
    throw StorageError(what + ": " + trim(PQerrorMessage(conn_)), !connecting_);
  }
  void wait(short events, Clock::time_point deadline, const char* doing) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    pollfd fd{PQsocket(conn_), events, 0};
    if (left.count() <= 0 || ::poll(&fd, 1, static_cast<int>(left.count())) == 0) {
      broken_ = true;
      throw StorageError(std::string("database timed out ") + doing, !connecting_);
    }
  }
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  pg_conn* conn_ = nullptr;
  bool broken_ = false;
  bool connecting_ = true;  // errors before the first query cannot have applied anything
};

class PostgresStorage::Lease {
 public:
  explicit Lease(PostgresStorage& owner) : owner_(owner), connection_(owner.acquire()) {}
  ~Lease() {
    if (!connection_->broken()) owner_.release(std::move(connection_));
  }
  Connection* operator->() { return connection_.get(); }

 private:
  PostgresStorage& owner_;
  std::unique_ptr<Connection> connection_;
};

PostgresStorage::PostgresStorage(std::string conninfo, std::chrono::milliseconds timeout,
                                 std::string table)
    : conninfo_(std::move(conninfo)),
      timeout_(timeout),
      table_(std::move(table)),
      schema_sql_(schema_sql(table_)),
      merge_sql_(merge_sql(table_)),
      get_sql_("SELECT value, ts, origin FROM " + table_ +
               " WHERE class = $1 AND customer = $2 AND key = $3"),
      scan_sql_("SELECT customer, key, value, ts, origin FROM " + table_ + " WHERE class = $1") {
  for (char c : table_)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
      throw std::invalid_argument("table name '" + table_ + "' must be letters, digits and '_'");
}

PostgresStorage::~PostgresStorage() = default;

std::unique_ptr<PostgresStorage::Connection> PostgresStorage::acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return std::make_unique<Connection>(conninfo_, schema_sql_, Clock::now() + timeout_);
}

void PostgresStorage::release(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  idle_.push_back(std::move(connection));
}

std::size_t PostgresStorage::merge(const std::vector<Record>& records) {
  if (records.empty()) return 0;
  // One statement for the whole batch: one round trip however slow the
  // database, row locks taken in key order (no deadlock between concurrent
  // batches), and only the newest version of each key (a statement may not
  // touch a row twice).
  std::map<std::tuple<DataClass, std::string, std::string>, const Record*> newest;
  for (const auto& r : records) {
    auto [it, fresh] = newest.try_emplace({r.data_class, r.customer, r.key}, &r);
    if (!fresh && it->second->entry.version < r.entry.version) it->second = &r;
  }
  std::vector<std::string> cls, customer, key, value, origin;
  std::string timestamps = "{";
  for (const auto& [k, r] : newest) {
    cls.emplace_back(data_class_name(r->data_class));
    customer.push_back(r->customer);
    key.push_back(r->key);
    value.push_back(r->entry.value);
    timestamps += (timestamps.size() > 1 ? "," : "") + std::to_string(r->entry.version.timestamp);
    origin.push_back(r->entry.version.region);
  }
  Lease c(*this);
  Result res = c->exec(merge_sql_.c_str(),
                       {text_array(cls), text_array(customer), text_array(key), text_array(value),
                        timestamps + "}", text_array(origin)},
                       Clock::now() + timeout_);
  const char* changed = res ? PQcmdTuples(res.get()) : "";
  return *changed != '\0' ? std::stoul(changed) : 0;
}

std::optional<Entry> PostgresStorage::get(DataClass cls, const std::string& customer,
                                          const std::string& key) {
  Lease c(*this);
  Result res =
      c->exec(get_sql_.c_str(), {data_class_name(cls), customer, key}, Clock::now() + timeout_);
  if (!res || PQntuples(res.get()) == 0) return std::nullopt;
  return Entry{PQgetvalue(res.get(), 0, 0),
               Version{std::stoull(PQgetvalue(res.get(), 0, 1)), PQgetvalue(res.get(), 0, 2)}};
}

std::vector<Record> PostgresStorage::scan(DataClass cls) {
  Lease c(*this);
  Result res = c->exec(scan_sql_.c_str(), {data_class_name(cls)}, Clock::now() + timeout_);
  std::vector<Record> out;
  for (int i = 0; res && i < PQntuples(res.get()); ++i)
    out.push_back({cls, PQgetvalue(res.get(), i, 0), PQgetvalue(res.get(), i, 1),
                   Entry{PQgetvalue(res.get(), i, 2), Version{std::stoull(PQgetvalue(res.get(), i, 3)),
                                                              PQgetvalue(res.get(), i, 4)}}});
  return out;
}

bool PostgresStorage::ping() {
  try {
    Lease c(*this);
    c->exec("SELECT 1", {}, Clock::now() + timeout_);
    return true;
  } catch (const StorageError&) {
    return false;
  }
}

}  // namespace faultline::kvstore
