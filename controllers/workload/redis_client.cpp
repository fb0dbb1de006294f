#include "controllers/workload/redis_client.hpp"

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline {

const char* const kRedisCasScript =
    "local current = redis.call('GET', KEYS[1]) "
    "if (ARGV[1] == 'absent' and current ~= false) or "
    "(ARGV[1] == 'equals' and current ~= ARGV[2]) then return 0 end "
    "redis.call('SET', KEYS[1], ARGV[3]) return 1";

namespace {

std::string text_of(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

// Values go in as their decimal text (unique integers); they come back as
// integers when the text is one, else as the text (someone else's data).
nlohmann::json value_of(const std::string& text) {
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return n;
  return text;
}

nlohmann::json elements_of(const RedisReply& array, bool sorted) {
  std::vector<nlohmann::json> values;
  for (const auto& e : array.elements) values.push_back(value_of(e.text));
  // SMEMBERS has no order; a set is recorded sorted, so equal sets read alike.
  if (sorted) std::sort(values.begin(), values.end());
  return nlohmann::json(values);
}

std::string describe(const RedisReply& reply) {
  switch (reply.kind) {
    case RedisReply::Kind::string:
      return "string '" + reply.text + "'";
    case RedisReply::Kind::status:
      return "status '" + reply.text + "'";
    case RedisReply::Kind::integer:
      return "integer " + std::to_string(reply.integer);
    case RedisReply::Kind::nil:
      return "nil";
    case RedisReply::Kind::array:
      return "array of " + std::to_string(reply.elements.size());
    case RedisReply::Kind::error:
      return "error '" + reply.text + "'";
  }
  return "?";
}

bool all_strings(const RedisReply& reply) {
  return reply.kind == RedisReply::Kind::array &&
         std::all_of(reply.elements.begin(), reply.elements.end(),
                     [](const RedisReply& e) { return e.kind == RedisReply::Kind::string; });
}

// A reply of a shape the command never gives: the server is not what we
// think it is. What happened is unknown, unless the request changes nothing.
Operation unexpected(Operation done, const RedisRequest& request, const std::string& what) {
  done.type = request.read_only ? OpType::fail : OpType::info;
  done.error = "unexpected reply: " + what;
  return done;
}

// The read of one key, by what it holds.
std::vector<std::string> read_command(const std::string& key, RedisValueType type) {
  switch (type) {
    case RedisValueType::string:
      return {"GET", key};
    case RedisValueType::set:
      return {"SMEMBERS", key};
    case RedisValueType::list:
      return {"LRANGE", key, "0", "-1"};
  }
  return {};
}

// What a read of one key read, or nullopt if the reply is not a read's.
std::optional<nlohmann::json> read_value(const RedisReply& reply, RedisValueType type) {
  switch (type) {
    case RedisValueType::string:
      if (reply.kind == RedisReply::Kind::nil) return nlohmann::json();
      if (reply.kind == RedisReply::Kind::string) return value_of(reply.text);
      return std::nullopt;
    case RedisValueType::set:
    case RedisValueType::list:
      if (!all_strings(reply)) return std::nullopt;
      return elements_of(reply, type == RedisValueType::set);
  }
  return std::nullopt;
}

const char* type_name(RedisValueType type) {
  switch (type) {
    case RedisValueType::string:
      return "register";
    case RedisValueType::set:
      return "set";
    case RedisValueType::list:
      return "list-append";
  }
  return "?";
}

Operation completed_txn(Operation done, const RedisRequest& request,
                        const std::vector<RedisReply>& replies) {
  // replies: MULTI's +OK, a +QUEUED per micro-operation, then EXEC's.
  for (std::size_t i = 0; i + 1 < replies.size(); ++i)
    if (replies[i].kind == RedisReply::Kind::error) {
      // Refused before EXEC (READONLY on a replica, a wrong command): EXEC
      // discards the whole transaction.
      done.type = OpType::fail;
      done.error = replies[i].text;
      return done;
    }
  const RedisReply& exec = replies.back();
  if (exec.kind == RedisReply::Kind::error || exec.kind == RedisReply::Kind::nil) {
    done.type = OpType::fail;
    done.error = exec.kind == RedisReply::Kind::nil ? "transaction aborted" : exec.text;
    return done;
  }
  const auto& micro = done.value;
  if (exec.kind != RedisReply::Kind::array || exec.elements.size() != micro.size())
    return unexpected(done, request, "EXEC answered " + describe(exec));
  // Redis runs every queued command even when one fails at EXEC (no
  // rollback): some of the transaction happened, some did not.
  for (const auto& e : exec.elements)
    if (e.kind == RedisReply::Kind::error) {
      done.type = request.read_only ? OpType::fail : OpType::info;
      done.error = "part of the transaction ran: " + e.text;
      return done;
    }
  for (std::size_t i = 0; i < micro.size(); ++i) {
    if (micro[i].at(0).get<std::string>() != kReadMop) continue;
    auto read = read_value(exec.elements[i], RedisValueType::list);
    if (!read) return unexpected(done, request, "LRANGE answered " + describe(exec.elements[i]));
    done.value[i][2] = *read;
  }
  done.type = OpType::ok;
  return done;
}

}  // namespace

std::optional<RedisValueType> redis_value_type(std::string_view workload_kind) {
  if (workload_kind == "register" || workload_kind == "kv") return RedisValueType::string;
  if (workload_kind == "set") return RedisValueType::set;
  if (workload_kind == "list-append") return RedisValueType::list;
  return std::nullopt;
}

RedisRequest redis_request(const Operation& op, RedisValueType type) {
  auto refuse = [&] {
    return std::invalid_argument(std::string("the redis client's ") + type_name(type) +
                                 " keys take no operation '" + op.f + "' with value " +
                                 op.value.dump());
  };
  RedisRequest request;
  if (op.f == kTxnF) {
    if (type != RedisValueType::list || !op.value.is_array()) throw refuse();
    request.commands.push_back({"MULTI"});
    for (const auto& m : op.value) {
      if (!m.is_array() || m.size() != 3 || !m[0].is_string()) throw refuse();
      const std::string f = m[0].get<std::string>(), key = text_of(m[1]);
      if (f == kAppendMop) {
        request.commands.push_back({"RPUSH", key, text_of(m[2])});
        request.writes = true;
        request.read_only = false;
      } else if (f == kReadMop) {
        request.commands.push_back(read_command(key, RedisValueType::list));
      } else {
        throw refuse();
      }
    }
    request.commands.push_back({"EXEC"});
    return request;
  }
  if (!op.value.is_array() || op.value.size() != 2) throw refuse();
  const std::string key = text_of(op.value[0]);
  if (is_key_read(op.f)) {
    request.commands.push_back(read_command(key, type));
    return request;
  }
  request.writes = true;
  request.read_only = false;
  if (op.f == kWriteF && type == RedisValueType::string) {
    request.commands.push_back({"SET", key, text_of(op.value[1])});
  } else if (op.f == kCasF && type == RedisValueType::string && op.value[1].is_array() &&
             op.value[1].size() == 2) {
    const auto& expected = op.value[1][0];
    request.commands.push_back(
        {"EVAL", kRedisCasScript, "1", key, expected.is_null() ? "absent" : "equals",
         expected.is_null() ? "" : text_of(expected), text_of(op.value[1][1])});
  } else if (op.f == kAddF && type == RedisValueType::set) {
    request.commands.push_back({"SADD", key, text_of(op.value[1])});
  } else {
    throw refuse();
  }
  return request;
}

Operation redis_completion(const Operation& op, RedisValueType type, const RedisRequest& request,
                           const std::vector<RedisReply>& replies) {
  Operation done = op;
  if (replies.size() != request.commands.size())
    return unexpected(done, request,
                      std::to_string(replies.size()) + " replies to " +
                          std::to_string(request.commands.size()) + " commands");
  if (op.f == kTxnF) return completed_txn(done, request, replies);
  const RedisReply& reply = replies.front();
  // An error reply is the server refusing: nothing happened (READONLY,
  // LOADING, MASTERDOWN, a script that stopped before its write...).
  if (reply.kind == RedisReply::Kind::error) {
    done.type = OpType::fail;
    done.error = reply.text;
    return done;
  }
  if (is_key_read(op.f)) {
    auto read = read_value(reply, type);
    if (!read) return unexpected(done, request, describe(reply));
    done.type = OpType::ok;
    done.value[1] = *read;
    return done;
  }
  if (op.f == kCasF) {
    if (reply.kind != RedisReply::Kind::integer || (reply.integer != 0 && reply.integer != 1))
      return unexpected(done, request, describe(reply));
    done.type = reply.integer == 1 ? OpType::ok : OpType::fail;
    if (reply.integer == 0) done.error = "precondition";
    return done;
  }
  const bool acknowledged = op.f == kWriteF ? reply.kind == RedisReply::Kind::status
                                            : reply.kind == RedisReply::Kind::integer;
  if (!acknowledged) return unexpected(done, request, describe(reply));
  done.type = OpType::ok;
  return done;
}

std::string redis_wire(const RedisRequest& request) {
  std::string wire;
  for (const auto& argv : request.commands) {
    std::vector<const char*> args;
    std::vector<std::size_t> lengths;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    char* command = nullptr;
    const int length = redisFormatCommandArgv(&command, static_cast<int>(args.size()), args.data(),
                                              lengths.data());
    if (length < 0) throw std::bad_alloc();
    wire.append(command, static_cast<std::size_t>(length));
    redisFreeCommand(command);
  }
  return wire;
}

namespace {

RedisReply copy_reply(const redisReply& r) {
  switch (r.type) {
    case REDIS_REPLY_STRING:
      return RedisReply::string(std::string(r.str, r.len));
    case REDIS_REPLY_STATUS:
      return RedisReply::status(std::string(r.str, r.len));
    case REDIS_REPLY_ERROR:
      return RedisReply::error(std::string(r.str, r.len));
    case REDIS_REPLY_INTEGER:
      return RedisReply::number(r.integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<RedisReply> elements;
      for (std::size_t i = 0; i < r.elements; ++i) elements.push_back(copy_reply(*r.element[i]));
      return RedisReply::array(std::move(elements));
    }
    case REDIS_REPLY_NIL:
      return RedisReply::nil();
    default:  // RESP3's types: never sent to a RESP2 client
      return RedisReply::error("reply of RESP type " + std::to_string(r.type));
  }
}

// The next complete reply in the reader, or nullopt; `problem` on a protocol error.
std::optional<RedisReply> next_reply(redisReader* reader, std::string& problem) {
  void* raw = nullptr;
  if (redisReaderGetReply(reader, &raw) != REDIS_OK) {
    problem = std::string("protocol error: ") + reader->errstr;
    return std::nullopt;
  }
  if (raw == nullptr) return std::nullopt;
  RedisReply reply = copy_reply(*static_cast<redisReply*>(raw));
  freeReplyObject(raw);
  return reply;
}

// poll(2) for `events` until `deadline`: 1 ready, 0 timed out, -1 error (errno).
int wait_for(int fd, short events, RedisConnection::Deadline deadline) {
  for (;;) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= decltype(left)::zero()) return 0;
    // Rounded up, so a wait never ends before its deadline.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::min<long long>(ms, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) continue;  // the deadline is checked above
      return -1;
    }
    return 1;
  }
}

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

std::vector<RedisReply> parse_redis_replies(std::string_view wire, std::string& problem) {
  std::unique_ptr<redisReader, decltype(&redisReaderFree)> reader(redisReaderCreate(),
                                                                  redisReaderFree);
  if (!reader) throw std::bad_alloc();
  std::vector<RedisReply> replies;
  if (redisReaderFeed(reader.get(), wire.data(), wire.size()) != REDIS_OK) {
    problem = "cannot buffer the replies";
    return replies;
  }
  while (auto reply = next_reply(reader.get(), problem)) replies.push_back(std::move(*reply));
  return replies;
}

std::optional<RedisConnection> RedisConnection::open(const RedisEndpoint& endpoint,
                                                     Deadline deadline, std::string& error) {
  const std::string peer = endpoint.address.find(':') == std::string::npos
                               ? endpoint.address + ":" + std::to_string(endpoint.port)
                               : "[" + endpoint.address + "]:" + std::to_string(endpoint.port);
  sockaddr_storage address{};
  socklen_t length = 0;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&address);
      ::inet_pton(AF_INET, endpoint.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(endpoint.port);
    length = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&address);
             ::inet_pton(AF_INET6, endpoint.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(endpoint.port);
    length = sizeof(sockaddr_in6);
  } else {
    error = "connect to " + peer + ": not an IP address";
    return std::nullopt;
  }
  injector::FileDescriptor socket(
      ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!socket.valid()) {
    error = "socket: " + errno_text(errno);
    return std::nullopt;
  }
  if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), length) != 0) {
    if (errno != EINPROGRESS) {
      error = "connect to " + peer + ": " + errno_text(errno);
      return std::nullopt;
    }
    const int ready = wait_for(socket.get(), POLLOUT, deadline);
    if (ready == 0) {
      error = "connect to " + peer + ": timed out";
      return std::nullopt;
    }
    int err = 0;
    socklen_t err_length = sizeof(err);
    if (ready < 0)
      err = errno;
    else if (::getsockopt(socket.get(), SOL_SOCKET, SO_ERROR, &err, &err_length) != 0)
      err = errno;
    if (err != 0) {
      error = "connect to " + peer + ": " + errno_text(err);
      return std::nullopt;
    }
  }
  // One small request at a time: Nagle would hold it for the last one's ACK.
  const int one = 1;
  ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return RedisConnection(std::move(socket), peer);
}

RedisConnection::RedisConnection(injector::FileDescriptor socket, std::string peer)
    : socket_(std::move(socket)), peer_(std::move(peer)), reader_(redisReaderCreate()) {
  if (reader_ == nullptr) throw std::bad_alloc();
}

RedisConnection::RedisConnection(RedisConnection&& other) noexcept
    : socket_(std::move(other.socket_)),
      peer_(std::move(other.peer_)),
      reader_(std::exchange(other.reader_, nullptr)) {}

RedisConnection& RedisConnection::operator=(RedisConnection&& other) noexcept {
  if (this != &other) {
    if (reader_ != nullptr) redisReaderFree(reader_);
    socket_ = std::move(other.socket_);
    peer_ = std::move(other.peer_);
    reader_ = std::exchange(other.reader_, nullptr);
  }
  return *this;
}

RedisConnection::~RedisConnection() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

RedisExchange RedisConnection::exchange(const std::string& wire, std::size_t replies,
                                        Deadline deadline) {
  RedisExchange result;
  auto give_up = [&](RedisExchange::Outcome outcome, std::string why) {
    result.outcome = outcome;
    result.error = std::move(why);
    return result;
  };
  std::size_t sent = 0;
  while (sent < wire.size()) {
    const ssize_t n = ::send(socket_.get(), wire.data() + sent, wire.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    const int err = errno;
    if (n < 0 && err == EINTR) continue;
    // What the kernel took may reach the server: only a request of which no
    // byte was taken is certainly not sent.
    const auto outcome =
        sent == 0 ? RedisExchange::Outcome::not_sent : RedisExchange::Outcome::lost;
    if (n < 0 && err != EAGAIN && err != EWOULDBLOCK)
      return give_up(outcome, "send to " + peer_ + ": " + errno_text(err));
    const int ready = wait_for(socket_.get(), POLLOUT, deadline);
    if (ready == 0) return give_up(outcome, "send to " + peer_ + ": timed out");
    if (ready < 0) return give_up(outcome, "send to " + peer_ + ": " + errno_text(errno));
  }
  std::string problem;
  char buffer[16384];
  while (result.replies.size() < replies) {
    if (auto reply = next_reply(reader_, problem)) {
      result.replies.push_back(std::move(*reply));
      continue;
    }
    if (!problem.empty()) return give_up(RedisExchange::Outcome::lost, peer_ + ": " + problem);
    const int ready = wait_for(socket_.get(), POLLIN, deadline);
    if (ready == 0) return give_up(RedisExchange::Outcome::lost, peer_ + ": no reply in time");
    if (ready < 0)
      return give_up(RedisExchange::Outcome::lost,
                     "receive from " + peer_ + ": " + errno_text(errno));
    const ssize_t n = ::recv(socket_.get(), buffer, sizeof(buffer), 0);
    if (n == 0) return give_up(RedisExchange::Outcome::lost, peer_ + " closed the connection");
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return give_up(RedisExchange::Outcome::lost,
                     "receive from " + peer_ + ": " + errno_text(errno));
    }
    if (redisReaderFeed(reader_, buffer, static_cast<std::size_t>(n)) != REDIS_OK)
      return give_up(RedisExchange::Outcome::lost, peer_ + ": cannot buffer the reply");
  }
  return result;
}

RedisClient::RedisClient(RedisRoutes routes, RedisValueType type, std::chrono::milliseconds timeout)
    : routes_(std::move(routes)), type_(type), timeout_(timeout) {}

Operation RedisClient::invoke(const Operation& op) {
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  const RedisRequest request = redis_request(op, type_);
  const RedisEndpoint& server = request.writes        ? routes_.writes
                                : op.f == kFinalReadF ? routes_.final_reads
                                                      : routes_.reads;
  Operation done = op;
  const std::string peer = server.address + "/" + std::to_string(server.port);
  auto connection = connections_.find(peer);
  if (connection == connections_.end()) {
    std::string error;
    auto opened = RedisConnection::open(server, deadline, error);
    if (!opened) {
      done.type = OpType::fail;  // nothing was sent
      done.error = error;
      return done;
    }
    ++connects_;
    connection = connections_.emplace(peer, std::move(*opened)).first;
  }
  RedisExchange exchange =
      connection->second.exchange(redis_wire(request), request.commands.size(), deadline);
  if (exchange.outcome == RedisExchange::Outcome::answered) {
    done = redis_completion(op, type_, request, exchange.replies);
    done.served_by = server.region;
    return done;
  }
  // The connection may still carry the lost request's reply: never reuse it.
  connections_.erase(connection);
  done.type = exchange.outcome == RedisExchange::Outcome::not_sent || request.read_only
                  ? OpType::fail
                  : OpType::info;
  done.error = exchange.error;
  return done;
}

std::map<std::string, RedisRoutes> plan_redis_routes(const RedisClientSpec& spec,
                                                     const TopologyPlan& plan,
                                                     const std::string& host) {
  auto server_of = [&](const std::string& region) {
    return RedisEndpoint{region, plan.region(region).host(host).ipv4, spec.port};
  };
  std::map<std::string, RedisRoutes> routes;
  for (const auto& region : plan.regions) {
    auto place = [&](const std::string& where, const RedisEndpoint& primary) {
      if (where == "local") return server_of(region.name);
      if (where == "primary") return primary;
      return server_of(where);
    };
    RedisRoutes r;
    r.writes = place(spec.writes, {});
    r.reads = place(spec.reads, r.writes);
    r.final_reads = spec.final_reads.empty() ? r.reads : place(spec.final_reads, r.writes);
    routes[region.name] = r;
  }
  return routes;
}

std::unique_ptr<Client> RedisClientFactory::open(const std::string& region) {
  auto routes = routes_.find(region);
  if (routes == routes_.end()) throw std::logic_error("no redis servers for region " + region);
  return std::make_unique<RedisClient>(routes->second, type_, timeout_);
}

}  // namespace faultline
