#pragma once
// The built-in Redis client (client = "redis"): a Client (client.hpp) that
// speaks RESP to Redis servers, each request encoded and each reply decoded
// by hiredis, over a TCP connection of its own with poll(2) deadlines.
//
// What it asks for each operation, by what the keys hold:
//   register (strings)  read GET k; write SET k v; cas EVAL of kRedisCasScript
//   set                 add SADD k e; read SMEMBERS k
//   list-append (lists) txn MULTI, RPUSH k v / LRANGE k 0 -1 per micro-op, EXEC
// and how it completes, as Jepsen's clients do:
//   ok    the server answered (a read carries what it read; a cas ok iff it
//         applied);
//   fail  it certainly did not happen: no connection (refused, timed out),
//         nothing sent, or an error reply (READONLY from a replica, LOADING,
//         a cas whose expected value did not match, a transaction aborted);
//   info  unknown: the request was sent and no complete reply came back by
//         the operation's deadline (a timeout, a lost connection), or a
//         transaction of which only some commands ran. A read has no effect,
//         so a read that lost its reply is a fail instead.
// After an info the connection is dropped and the next operation opens a new
// one, since the old one may still carry a reply meant for the lost request.
//
// Why not hiredis's own I/O: Debian 12's hiredis (0.14) has no per-command
// deadline (only socket timeouts, which restart with every read), and cannot
// say whether a failed request left the machine, which is the difference
// between fail and info. So the socket is ours, and hiredis does RESP.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/experiment/client_specs.hpp"
#include "controllers/workload/client.hpp"
#include "injector/file_descriptor.hpp"

struct redisReader;

namespace faultline {

struct TopologyPlan;

// What the workload's keys hold in Redis (named as Redis's TYPE names them).
enum class RedisValueType { string, set, list };
// "register", "kv" -> string; "set" -> set; "list-append" -> list; or nullopt.
std::optional<RedisValueType> redis_value_type(std::string_view workload_kind);

// Compare-and-set of a string key in one step on the server.
// KEYS[1] the key; ARGV[1] "absent" (expect no value) or "equals";
// ARGV[2] the expected value; ARGV[3] the new one. Answers 1 if it set the
// key, 0 if the key held something else.
extern const char* const kRedisCasScript;

// --- Pure: requests and replies as values -----------------------------------

// A reply as hiredis decodes it, copied out of its allocation.
struct RedisReply {
  enum class Kind { string, status, integer, nil, array, error };
  Kind kind = Kind::nil;
  std::string text;  // string, status, error
  long long integer = 0;
  std::vector<RedisReply> elements;  // array

  static RedisReply status(std::string s) { return {Kind::status, std::move(s), 0, {}}; }
  static RedisReply error(std::string s) { return {Kind::error, std::move(s), 0, {}}; }
  static RedisReply string(std::string s) { return {Kind::string, std::move(s), 0, {}}; }
  static RedisReply number(long long n) { return {Kind::integer, {}, n, {}}; }
  static RedisReply nil() { return {}; }
  static RedisReply array(std::vector<RedisReply> e) { return {Kind::array, {}, 0, std::move(e)}; }
};

// The commands one operation sends, pipelined in one write, each answered by
// one reply.
struct RedisRequest {
  std::vector<std::vector<std::string>> commands;  // each an argv
  bool writes = false;                             // it may change data: it goes where writes go
  bool read_only = true;  // it changes nothing: a lost reply makes it fail, not info
};

// The request for `op` (its f and value; a final read reads the key as the
// workload's reads do). Throws std::invalid_argument for an operation the
// type does not carry.
RedisRequest redis_request(const Operation& op, RedisValueType type);
// `op` completed by the replies to its request (one per command, in order).
Operation redis_completion(const Operation& op, RedisValueType type, const RedisRequest& request,
                           const std::vector<RedisReply>& replies);

// RESP, through hiredis: a request's bytes on the wire, and the replies in
// `wire` (complete ones only; `problem` set on a protocol error).
std::string redis_wire(const RedisRequest& request);
std::vector<RedisReply> parse_redis_replies(std::string_view wire, std::string& problem);

// --- The connection ----------------------------------------------------------

struct RedisEndpoint {
  std::string region;   // whose server it is: recorded as served_by
  std::string address;  // an IPv4 or IPv6 literal
  std::uint16_t port = 6379;
};

// How one exchange of a request and its replies went.
struct RedisExchange {
  enum class Outcome {
    answered,  // every reply arrived
    not_sent,  // nothing left this machine: no connection, or the first write failed
    lost,      // something was sent, then the replies did not all come by the deadline
  };
  Outcome outcome = Outcome::answered;
  std::vector<RedisReply> replies;
  std::string error;  // why not answered
};

// One TCP connection to one server, owned: a non-blocking socket, connected,
// written and read under deadlines, and hiredis's reply reader.
class RedisConnection {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  // Connects by `deadline`; nullopt with `error` set if it cannot.
  static std::optional<RedisConnection> open(const RedisEndpoint& endpoint, Deadline deadline,
                                             std::string& error);
  RedisConnection(RedisConnection&&) noexcept;
  RedisConnection& operator=(RedisConnection&&) noexcept;
  ~RedisConnection();

  // Sends `wire` and reads `replies` replies, by `deadline`.
  RedisExchange exchange(const std::string& wire, std::size_t replies, Deadline deadline);

 private:
  RedisConnection(injector::FileDescriptor socket, std::string peer);
  injector::FileDescriptor socket_;
  std::string peer_;  // "address:port", for errors
  redisReader* reader_ = nullptr;
};

// --- The client --------------------------------------------------------------

// Where one region's client sends what.
struct RedisRoutes {
  RedisEndpoint writes;       // write, cas, add, and transactions that append
  RedisEndpoint reads;        // the sessions' reads
  RedisEndpoint final_reads;  // the final reads after the heal
};

// Every region's routes, from [workload.redis] over the plan: each placement
// ("local", a region, "primary") resolved to a server, the `host` (the data
// service's) of a region. Pure.
std::map<std::string, RedisRoutes> plan_redis_routes(const RedisClientSpec& spec,
                                                     const TopologyPlan& plan,
                                                     const std::string& host);

class RedisClient final : public Client {
 public:
  RedisClient(RedisRoutes routes, RedisValueType type, std::chrono::milliseconds timeout);
  Operation invoke(const Operation& invoke) override;
  // Connections opened so far (tests: a reconnect after an info).
  int connects() const { return connects_; }

 private:
  RedisRoutes routes_;
  RedisValueType type_;
  std::chrono::milliseconds timeout_;
  // One per server asked, by "address:port": reads and writes that go to the
  // same server share one.
  std::map<std::string, RedisConnection> connections_;
  int connects_ = 0;
};

// Opens a RedisClient per session (or final reader) with its region's routes.
class RedisClientFactory final : public ClientFactory {
 public:
  RedisClientFactory(std::map<std::string, RedisRoutes> routes_by_region, RedisValueType type,
                     std::chrono::milliseconds timeout)
      : routes_(std::move(routes_by_region)), type_(type), timeout_(timeout) {}
  std::unique_ptr<Client> open(const std::string& region) override;

 private:
  std::map<std::string, RedisRoutes> routes_;
  RedisValueType type_;
  std::chrono::milliseconds timeout_;
};

}  // namespace faultline
