#include "controllers/workload/postgres_client.hpp"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <stdexcept>

#include "controllers/experiment/experiment.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline {

using SteadyClock = std::chrono::steady_clock;

namespace {

// SQLSTATEs (PostgreSQL's errcodes.txt) that setup may meet when sessions
// create the same table at once: CREATE TABLE IF NOT EXISTS is not atomic
// against a concurrent one (a unique violation on pg_type, or "already
// exists"). The table is there either way.
constexpr const char* kUniqueViolation = "23505";
constexpr const char* kDuplicateTable = "42P07";

bool is_key_op(const Operation& op) {
  return op.value.is_array() && op.value.size() == 2 && op.value[0].is_string();
}

std::string text_of(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// libpq's error text for a failed multi-host connection names every host;
// one line per host, joined, is enough for a history.
std::string one_line(std::string s) {
  s = trim(std::move(s));
  std::replace(s.begin(), s.end(), '\n', ' ');
  constexpr std::size_t kShown = 300;
  return s.size() <= kShown ? s : s.substr(0, kShown) + "...";
}

// A value for a libpq connection string: quoted, with ' and \ escaped
// (libpq's "Keyword/Value Connection Strings").
std::string conninfo_value(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A server setting for libpq's `options`: spaces inside a value are escaped
// with a backslash, or they would split it into two arguments.
std::string server_option(const std::string& name, const std::string& value) {
  std::string out = "-c " + name + "=";
  for (char c : value) {
    if (c == ' ' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

PostgresStatements default_postgres_statements(const std::string& workload) {
  PostgresStatements s{
      .read = "SELECT v FROM registers WHERE k = $1",
      .write =
          "INSERT INTO registers (k, v) VALUES ($1, $2) "
          "ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
      .cas = "UPDATE registers SET v = $3 WHERE k = $1 AND v = $2",
      .cas_absent = "INSERT INTO registers (k, v) VALUES ($1, $2) ON CONFLICT (k) DO NOTHING",
      .add = "INSERT INTO sets (k, element) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      .read_set = "SELECT element FROM sets WHERE k = $1 ORDER BY element",
      .append =
          "INSERT INTO lists AS l (k, elements) VALUES ($1, ARRAY[$2::bigint]) "
          "ON CONFLICT (k) DO UPDATE SET elements = l.elements || EXCLUDED.elements",
      .read_list =
          "SELECT e FROM lists, unnest(elements) WITH ORDINALITY AS u(e, n) "
          "WHERE k = $1 ORDER BY n",
  };
  if (workload == "set")
    s.setup =
        "CREATE TABLE IF NOT EXISTS sets (k text NOT NULL, element bigint NOT NULL, "
        "PRIMARY KEY (k, element))";
  else if (workload == "list-append")
    s.setup = "CREATE TABLE IF NOT EXISTS lists (k text PRIMARY KEY, elements bigint[] NOT NULL)";
  else
    s.setup = "CREATE TABLE IF NOT EXISTS registers (k text PRIMARY KEY, v bigint NOT NULL)";
  return s;
}

const std::vector<std::string>& postgres_isolation_levels() {
  static const std::vector<std::string> levels{"read committed", "repeatable read", "serializable"};
  return levels;
}

std::string postgres_conninfo(const PostgresTarget& target) {
  std::string hosts, ports;
  for (const auto& h : target.hosts) {
    hosts += (hosts.empty() ? "" : ",") + h.address;
    ports += (ports.empty() ? "" : ",") + std::to_string(h.port);
  }
  const std::string options =
      server_option("statement_timeout", std::to_string(target.timeout.count())) + " " +
      server_option("default_transaction_isolation", target.isolation);
  return "hostaddr=" + conninfo_value(hosts) + " port=" + conninfo_value(ports) +
         " dbname=" + conninfo_value(target.database) + " user=" + conninfo_value(target.user) +
         " target_session_attrs=read-write application_name=faultline options=" +
         conninfo_value(options);
}

std::vector<PostgresStep> postgres_steps(const Operation& op, const PostgresTarget& target) {
  using Result = PostgresStep::Result;
  const PostgresStatements& s = target.statements;
  const bool final_read = op.f == kFinalReadF;
  if (op.f == kTxnF) {
    if (!op.value.is_array() || op.value.empty())
      throw std::invalid_argument("a txn needs a list of micro-operations");
    std::vector<PostgresStep> steps;
    steps.push_back({.sql = "BEGIN ISOLATION LEVEL " + upper(target.isolation)});
    bool writes = false;
    for (std::size_t i = 0; i < op.value.size(); ++i) {
      const auto& mop = op.value[i];
      if (!mop.is_array() || mop.size() != 3 || !mop[0].is_string())
        throw std::invalid_argument("micro-operation " + mop.dump() + " is not [f, key, value]");
      const std::string f = mop[0].get<std::string>();
      const std::string key = text_of(mop[1]);
      if (f == kAppendMop) {
        steps.push_back(
            {.sql = s.append, .params = {key, text_of(mop[2])}, .mop = int(i), .writes = true});
        writes = true;
      } else if (f == kReadMop) {
        steps.push_back(
            {.sql = s.read_list, .params = {key}, .result = Result::elements, .mop = int(i)});
      } else {
        throw std::invalid_argument("unknown micro-operation '" + f + "'");
      }
    }
    steps.push_back({.sql = "COMMIT", .writes = writes, .commit = true});
    return steps;
  }
  if (!is_key_op(op)) throw std::invalid_argument("operation " + op.f + " is not [key, value]");
  const std::string key = op.value[0].get<std::string>();
  const nlohmann::json& v = op.value[1];
  const bool lists = target.workload == "list-append", sets = target.workload == "set";
  if (op.f == kReadF || final_read) {
    if (lists) return {{.sql = s.read_list, .params = {key}, .result = Result::elements}};
    if (sets) return {{.sql = s.read_set, .params = {key}, .result = Result::elements}};
    return {{.sql = s.read, .params = {key}, .result = Result::value}};
  }
  if (op.f == kWriteF) return {{.sql = s.write, .params = {key, text_of(v)}, .writes = true}};
  if (op.f == kAddF) return {{.sql = s.add, .params = {key, text_of(v)}, .writes = true}};
  if (op.f == kCasF) {
    if (!v.is_array() || v.size() != 2)
      throw std::invalid_argument("a cas needs [expected, new], not " + v.dump());
    if (v[0].is_null())
      return {{.sql = s.cas_absent,
               .params = {key, text_of(v[1])},
               .result = Result::one_row,
               .writes = true}};
    return {{.sql = s.cas,
             .params = {key, text_of(v[0]), text_of(v[1])},
             .result = Result::one_row,
             .writes = true}};
  }
  throw std::invalid_argument("the postgres client has no operation '" + op.f + "'");
}

OpType postgres_outcome(const PostgresFailure& failure, bool writes) {
  // A read changes nothing: whatever went wrong, it did not happen.
  if (!writes) return OpType::fail;
  // A transaction dies with its connection until COMMIT is sent; after that
  // only the server knows, unless it answered.
  if (failure.in_transaction)
    return failure.commit_sent && failure.connection_lost ? OpType::info : OpType::fail;
  if (!failure.sent) return OpType::fail;
  // Sent and then silence (or the connection ended with an error, as when
  // the server is shut down while waiting for synchronous replication):
  // it may have committed.
  if (failure.connection_lost) return OpType::info;
  return OpType::fail;  // the server answered an error: the statement rolled back
}

std::optional<std::int64_t> postgres_integer(const char* text) {
  if (text == nullptr) return std::nullopt;
  const char* end = text + std::strlen(text);
  std::int64_t v = 0;
  auto [at, ec] = std::from_chars(text, end, v);
  if (ec != std::errc() || at != end || at == text) return std::nullopt;
  return v;
}

bool is_sync_replication_cancel(const std::string& message) {
  return message.find("wait for synchronous replication") != std::string::npos;
}

// --- One connection ------------------------------------------------------

namespace {

struct ResultFree {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultFree>;

// How a statement went.
struct StepAnswer {
  Result result;  // the last result, on success
  bool ok = false;
  bool sent = false;     // the statement was handed to the connection whole
  bool lost = false;     // the connection broke or the deadline passed
  std::string sqlstate;  // with an error the server answered
  std::string error;
};

}  // namespace

class PostgresClient::Connection {
 public:
  // Connects within `deadline`, host by host; throws std::runtime_error with
  // libpq's reasons when no host accepting writes answers in time.
  Connection(const std::string& conninfo, const std::vector<PostgresHost>& hosts,
             SteadyClock::time_point deadline)
      : conn_(PQconnectStart(conninfo.c_str())) {
    if (conn_ == nullptr) throw std::runtime_error("out of memory connecting to PostgreSQL");
    if (PQstatus(conn_) == CONNECTION_BAD)
      throw std::runtime_error("cannot connect: " + one_line(PQerrorMessage(conn_)));
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    std::string host;                       // the host libpq is trying, "address:port"
    SteadyClock::time_point host_deadline;  // when it gives that one up
    while (status != PGRES_POLLING_OK) {
      if (status == PGRES_POLLING_FAILED)
        throw std::runtime_error("no server accepting writes: " + one_line(PQerrorMessage(conn_)));
      if (const std::string now_host = host_of(conn_); now_host != host) {
        // A host's share: what is left, split among it and those after it.
        host = now_host;
        const auto at = std::find_if(hosts.begin(), hosts.end(), [&](const PostgresHost& h) {
          return h.address + ":" + std::to_string(h.port) == host;
        });
        const auto left = std::max<std::ptrdiff_t>(1, hosts.end() - at);
        host_deadline = SteadyClock::now() + (deadline - SteadyClock::now()) / left;
      }
      const auto until = std::min(deadline, host_deadline);
      if (!wait(status == PGRES_POLLING_READING ? POLLIN : POLLOUT, until)) {
        if (SteadyClock::now() >= deadline)
          throw std::runtime_error("no server accepting writes answered in time (" + host +
                                   " was being tried)");
        // This host is silent (a blackholed region): end the attempt as a
        // refusal would. shutdown(2) of a connecting TCP socket fails its
        // connect with ECONNRESET, and libpq goes on to the next host.
        ::shutdown(PQsocket(conn_), SHUT_RDWR);
        host_deadline = deadline;
      }
      status = PQconnectPoll(conn_);
    }
    // Never block in a send: the operation's deadline rules every wait.
    PQsetnonblocking(conn_, 1);
    PQsetNoticeReceiver(conn_, &Connection::notice, this);
    for (const auto& h : hosts)
      if (h.address + ":" + std::to_string(h.port) == host_of(conn_)) region_ = h.region;
  }
  ~Connection() { PQfinish(conn_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const std::string& region() const { return region_; }
  bool usable() const {
    return !broken_ && PQstatus(conn_) == CONNECTION_OK &&
           PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }
  // Whether the server said, since the last call, that it stopped waiting for
  // synchronous replication of a local commit.
  bool take_sync_cancel() { return std::exchange(sync_cancel_, false); }

  // Runs one statement: with parameters over the extended protocol, or (no
  // parameters, maybe several statements: setup) as a simple query.
  StepAnswer exec(const std::string& sql, const std::vector<std::optional<std::string>>& params,
                  SteadyClock::time_point deadline) {
    StepAnswer a;
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    const int queued = params.empty()
                           ? PQsendQuery(conn_, sql.c_str())
                           : PQsendQueryParams(conn_, sql.c_str(), int(values.size()), nullptr,
                                               values.data(), nullptr, nullptr, 0);
    if (queued == 0) {
      lose(a, "sending failed");
      return a;
    }
    a.sent = true;
    for (;;) {
      const int flushed = PQflush(conn_);
      if (flushed == 0) break;
      if (flushed < 0 || !wait(POLLOUT, deadline)) {
        lose(a, "sending timed out");
        return a;
      }
    }
    std::string error;
    for (;;) {
      while (PQisBusy(conn_) != 0) {
        if (!wait(POLLIN, deadline)) {
          lose(a, "no answer in time");
          return a;
        }
        if (PQconsumeInput(conn_) == 0) {
          lose(a, "connection lost");
          return a;
        }
      }
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) break;
      Result owned(r);
      const auto status = PQresultStatus(r);
      if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
        a.result = std::move(owned);
      } else if (error.empty()) {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        a.sqlstate = state != nullptr ? state : "";
        error = one_line(PQresultErrorMessage(r));
      }
    }
    if (!error.empty()) {
      a.error = error;
      a.lost = PQstatus(conn_) != CONNECTION_OK;
      if (a.lost) broken_ = true;
      return a;
    }
    a.ok = true;
    return a;
  }

 private:
  void lose(StepAnswer& a, const char* what) {
    broken_ = true;
    a.lost = true;
    a.error = std::string(what) + ": " + one_line(PQerrorMessage(conn_));
    if (a.error.back() == ' ') a.error.pop_back();
    if (a.error.back() == ':') a.error.pop_back();
  }
  // Waits for the socket; false when the deadline passed first.
  bool wait(short events, SteadyClock::time_point deadline) {
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
      if (left.count() <= 0) return false;
      pollfd fd{PQsocket(conn_), events, 0};
      const int n = ::poll(&fd, 1, static_cast<int>(left.count()));
      if (n > 0) return true;
      if (n < 0 && errno != EINTR) return true;  // let libpq find the error
    }
  }
  // The host libpq is on (trying, or connected to), as "address:port".
  static std::string host_of(const pg_conn* conn) {
    const char* host = PQhost(conn);
    const char* port = PQport(conn);
    return std::string(host != nullptr ? host : "") + ":" + (port != nullptr ? port : "");
  }
  static void notice(void* self, const PGresult* r) {
    const char* message = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (message != nullptr && is_sync_replication_cancel(message))
      static_cast<Connection*>(self)->sync_cancel_ = true;
  }

  pg_conn* conn_;
  std::string region_;
  bool broken_ = false;
  bool sync_cancel_ = false;
};

// --- The client ------------------------------------------------------------

PostgresClient::PostgresClient(PostgresTarget target)
    : target_(std::move(target)), conninfo_(postgres_conninfo(target_)) {}

PostgresClient::~PostgresClient() = default;

Operation PostgresClient::invoke(const Operation& op) {
  Operation done = op;
  const auto deadline = SteadyClock::now() + target_.timeout;
  std::vector<PostgresStep> steps;
  try {
    steps = postgres_steps(op, target_);
  } catch (const std::invalid_argument& e) {
    done.type = OpType::fail;
    done.error = e.what();
    return done;
  }
  if (connection_ && !connection_->usable()) connection_.reset();
  if (!connection_) {
    try {
      auto fresh = std::make_unique<Connection>(conninfo_, target_.hosts, deadline);
      ++connections_;
      if (!target_.statements.setup.empty()) {
        StepAnswer setup = fresh->exec(target_.statements.setup, {}, deadline);
        if (!setup.ok && setup.sqlstate != kUniqueViolation && setup.sqlstate != kDuplicateTable)
          throw std::runtime_error("setup failed: " + setup.error);
      }
      connection_ = std::move(fresh);
    } catch (const std::runtime_error& e) {
      done.type = OpType::fail;  // nothing of the operation was sent
      done.error = e.what();
      return done;
    }
  }
  return run(std::move(done), steps, deadline);
}

Operation PostgresClient::run(Operation done, const std::vector<PostgresStep>& steps,
                              SteadyClock::time_point deadline) {
  using StepResult = PostgresStep::Result;
  const bool transaction = steps.size() > 1 && steps.back().commit;
  const bool writes =
      std::any_of(steps.begin(), steps.end(), [](const PostgresStep& s) { return s.writes; });
  done.served_by = connection_->region();
  connection_->take_sync_cancel();
  PostgresFailure failure{.in_transaction = transaction};
  for (const auto& step : steps) {
    StepAnswer a = connection_->exec(step.sql, step.params, deadline);
    if (step.writes && a.sent) failure.sent = true;
    if (step.commit && a.sent) failure.commit_sent = true;
    if (!a.ok) {
      failure.connection_lost = a.lost;
      failure.sqlstate = a.sqlstate;
      done.type = postgres_outcome(failure, writes);
      done.error = a.sqlstate.empty() ? a.error : a.sqlstate + " " + a.error;
      if (transaction && !a.lost) {
        // The transaction is aborted: end it, or give the connection up.
        if (!connection_->exec("ROLLBACK", {}, deadline).ok) connection_.reset();
      }
      if (connection_ && !connection_->usable()) connection_.reset();
      return done;
    }
    PGresult* r = a.result.get();
    switch (step.result) {
      case StepResult::none:
        break;
      case StepResult::one_row: {
        const char* rows = r != nullptr ? PQcmdTuples(r) : "";
        if (postgres_integer(rows).value_or(0) < 1) {
          done.type = OpType::fail;
          done.error = "precondition";
          return done;
        }
        break;
      }
      case StepResult::value:
      case StepResult::elements: {
        nlohmann::json read =
            step.result == StepResult::value ? nlohmann::json() : nlohmann::json::array();
        const int rows = r != nullptr && PQresultStatus(r) == PGRES_TUPLES_OK ? PQntuples(r) : 0;
        for (int i = 0; i < rows; ++i) {
          if (PQgetisnull(r, i, 0)) continue;
          const auto v = postgres_integer(PQgetvalue(r, i, 0));
          if (!v) {
            done.type = OpType::fail;
            done.error = std::string("the read statement returned '") + PQgetvalue(r, i, 0) +
                         "', not an integer";
            if (transaction && !connection_->exec("ROLLBACK", {}, deadline).ok) connection_.reset();
            return done;
          }
          if (step.result == StepResult::value) {
            read = *v;
            break;
          }
          read.push_back(*v);
        }
        if (step.mop >= 0)
          done.value[static_cast<std::size_t>(step.mop)][2] = read;
        else
          done.value[1] = read;
        break;
      }
    }
  }
  if (writes && connection_->take_sync_cancel()) {
    // Success, the server says, yet it stopped waiting for the standby: the
    // commit is local only, and a failover may lose it.
    done.type = OpType::info;
    done.error = "committed locally, synchronous replication not confirmed";
    return done;
  }
  done.type = OpType::ok;
  return done;
}

std::unique_ptr<Client> PostgresClientFactory::open(const std::string&) {
  return std::make_unique<PostgresClient>(target_);
}

PostgresTarget postgres_target(const Experiment& e, const TopologyPlan& plan) {
  const PostgresClientSpec& spec = e.workload.postgres;
  const ServiceSpec* service = e.find_service(spec.service);
  if (service == nullptr)
    throw std::logic_error("[workload.postgres] service '" + spec.service + "' is not a service");
  PostgresTarget t;
  std::vector<std::string> regions = spec.regions;
  if (regions.empty())
    for (const auto& region : plan.regions) regions.push_back(region.name);
  for (const auto& name : regions) {
    const auto region = std::find_if(plan.regions.begin(), plan.regions.end(),
                                     [&](const auto& r) { return r.name == name; });
    if (region == plan.regions.end())
      throw std::logic_error("[workload.postgres] region '" + name + "' is not in the plan");
    t.hosts.push_back({region->host(service->host).ipv4, spec.port, name});
  }
  t.database = spec.database;
  t.user = spec.user;
  t.isolation = spec.isolation;
  t.workload = e.workload.kind;
  t.timeout = e.workload.timeout;
  t.statements = default_postgres_statements(t.workload);
  const std::map<std::string, std::string PostgresStatements::*> by_name{
      {"setup", &PostgresStatements::setup},           {"read", &PostgresStatements::read},
      {"write", &PostgresStatements::write},           {"cas", &PostgresStatements::cas},
      {"cas_absent", &PostgresStatements::cas_absent}, {"add", &PostgresStatements::add},
      {"read_set", &PostgresStatements::read_set},     {"append", &PostgresStatements::append},
      {"read_list", &PostgresStatements::read_list}};
  for (const auto& [name, sql] : spec.statements) {
    const auto member = by_name.find(name);
    if (member == by_name.end()) throw std::logic_error("no postgres statement '" + name + "'");
    t.statements.*(member->second) = sql;
  }
  return t;
}

}  // namespace faultline
