#include "controllers/workload/kv_client.hpp"

#include <charconv>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

// The target answers JSON naming the region that served the request.
nlohmann::json parse_body(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() || !j.is_object() ? nlohmann::json::object() : j;
}

http::Headers token_header(const std::string& token) {
  if (token.empty()) return {};
  return {{kSessionTokenHeader, token}};
}

// Versions are "ts@region"; the session token keeps the highest seen.
bool version_less(const std::string& a, const std::string& b) {
  auto split = [](const std::string& v) {
    const auto at = v.find('@');
    std::uint64_t ts = 0;
    std::from_chars(v.data(), v.data() + (at == std::string::npos ? v.size() : at), ts);
    return std::make_pair(ts, at == std::string::npos ? std::string() : v.substr(at + 1));
  };
  return split(a) < split(b);
}

std::string registration_path(const Operation& op) {
  return "/global/customer:" + op.value.at("customer").get<std::string>();
}

}  // namespace

std::string kv_path(const std::string& key) {
  return key.find('/') == std::string::npos ? "/kv/" + key : "/customer/" + key;
}

KvClient::KvClient(const std::string& address, std::uint16_t port,
                   std::chrono::milliseconds timeout, bool session_tokens)
    : http_(address, port, timeout), session_tokens_(session_tokens) {}

std::string KvClient::token_for(const std::string& key) {
  return session_tokens_ ? tokens_[key] : std::string();
}

void KvClient::keep_token(const std::string& key, const Operation& done) {
  if (!session_tokens_ || done.type != OpType::ok || done.version.empty()) return;
  std::string& token = tokens_[key];
  if (token.empty() || version_less(token, done.version)) token = done.version;
}

Operation KvClient::invoke(const Operation& op) {
  using boost::beast::http::verb;
  if (op.f == kReadF || op.f == kFinalReadF || op.f == kWriteF) {
    const std::string key = op.value.at(0).get<std::string>();
    const std::string path = kv_path(key);
    const std::string token = token_for(key);
    Operation done =
        op.f == kWriteF
            ? complete(op,
                       http_.request(verb::put, path, std::to_string(op.value.at(1).get<std::int64_t>()),
                                     token_header(token)),
                       false, false)
            : complete(op, http_.get(path, token_header(token)), true, true);
    keep_token(key, done);
    return done;
  }
  if (op.f == kRegisterF) {
    // The routing record: the bare home region, or {home, cell} with cells.
    const std::string home = op.value.at("home").get<std::string>();
    const std::string body =
        op.value.contains("cell")
            ? nlohmann::json{{"home", home}, {"cell", op.value.at("cell")}}.dump()
            : home;
    return complete(op, http_.request(verb::put, registration_path(op), body), false, false);
  }
  if (op.f == kRegistrationReadF)
    return complete(op, http_.get(registration_path(op)), true, false);
  throw std::invalid_argument("the reference store's client has no operation " + op.f);
}

Operation KvClient::complete(Operation done, const http::Outcome& outcome, bool is_read,
                             bool absent_is_answer) const {
  if (outcome.response) {
    const unsigned status = outcome.response->status;
    auto body = parse_body(outcome.response->body);
    done.served_by = body.value("served_by", "");
    if (body.contains("cell") && body["cell"].is_string()) done.cell = body["cell"].get<std::string>();
    if (body.contains("version") && body["version"].is_string())
      done.version = body["version"].get<std::string>();
    // A 404 that carries an error is a refusal (unknown customer, no route);
    // a plain 404 on a read of a key is an answer: the key is empty.
    if (status == 200 || (absent_is_answer && status == 404 && !body.contains("error"))) {
      done.type = OpType::ok;
      if (absent_is_answer && status == 200 && body.contains("value") && body["value"].is_string()) {
        const std::string text = body["value"].get<std::string>();
        try {
          std::size_t used = 0;
          const long long number = std::stoll(text, &used);
          done.value[1] = used == text.size() ? nlohmann::json(number) : nlohmann::json(text);
        } catch (const std::exception&) {
          done.value[1] = text;
        }
      }
    } else {
      // A read has no effect, so an unsuccessful read is a plain failure.
      done.type = status == 504 && !is_read ? OpType::info : OpType::fail;
      done.error = "http " + std::to_string(status);
      if (body.contains("error") && body["error"].is_string())
        done.error += ": " + body["error"].get<std::string>();
    }
  } else {
    done.type = outcome.maybe_delivered && !is_read ? OpType::info : OpType::fail;
    done.error = outcome.error;
  }
  return done;
}

std::unique_ptr<Client> KvClientFactory::open(const std::string& region) {
  auto address = addresses_.find(region);
  if (address == addresses_.end())
    throw std::logic_error("no address of the service in region " + region);
  return std::make_unique<KvClient>(address->second, port_, timeout_, session_tokens_);
}

}  // namespace faultline
