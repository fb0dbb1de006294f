#include "controllers/workload/kv_client.hpp"

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

}  // namespace

KvKey global_key(const std::string& key) { return {key, "/kv/" + key}; }

KvKey customer_key(const std::string& customer, const std::string& key) {
  return {customer + "/" + key, "/customer/" + customer + "/" + key};
}

KvClient::KvClient(const std::string& address, std::uint16_t port,
                   std::chrono::milliseconds timeout, HistoryRecorder& history, std::string region)
    : http_(address, port, timeout), history_(history), region_(std::move(region)) {}

Operation KvClient::complete(Operation done, const http::Outcome& outcome, bool is_read) {
  if (outcome.response) {
    const unsigned status = outcome.response->status;
    auto body = parse_body(outcome.response->body);
    done.served_by = body.value("served_by", "");
    if (body.contains("version") && body["version"].is_string())
      done.version = body["version"].get<std::string>();
    // A 404 that carries an error is a refusal (unknown customer, no route);
    // a plain 404 on a read is an answer: the key is empty.
    if (status == 200 || (is_read && status == 404 && !body.contains("error"))) {
      done.type = OpType::ok;
      if (is_read && status == 200 && body.contains("value") && body["value"].is_string()) {
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
  return history_.record(done);
}

Operation KvClient::read(std::int64_t process, std::int64_t session, const std::string& f,
                         const KvKey& key, const std::string& token) {
  Operation invoke{.type = OpType::invoke,
                   .process = process,
                   .f = f,
                   .value = nlohmann::json::array({key.label, nullptr}),
                   .region = region_,
                   .session = session};
  history_.record(invoke);
  return complete(invoke, http_.get(key.path, token_header(token)), true);
}

Operation KvClient::write(std::int64_t process, std::int64_t session, const KvKey& key,
                          std::int64_t value, const std::string& token) {
  Operation invoke{.type = OpType::invoke,
                   .process = process,
                   .f = "write",
                   .value = nlohmann::json::array({key.label, value}),
                   .region = region_,
                   .session = session};
  history_.record(invoke);
  return complete(invoke,
                  http_.request(boost::beast::http::verb::put, key.path, std::to_string(value),
                                token_header(token)),
                  false);
}

Operation KvClient::put(std::int64_t process, const std::string& f, const std::string& path,
                        const std::string& body, nlohmann::json recorded_value) {
  Operation invoke{.type = OpType::invoke,
                   .process = process,
                   .f = f,
                   .value = std::move(recorded_value),
                   .region = region_};
  history_.record(invoke);
  return complete(invoke, http_.request(boost::beast::http::verb::put, path, body), false);
}

}  // namespace faultline
