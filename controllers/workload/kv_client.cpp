#include "controllers/workload/kv_client.hpp"

namespace faultline {

namespace {

// The target answers JSON naming the region that served the request.
nlohmann::json parse_body(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

}  // namespace

KvClient::KvClient(const std::string& address, std::uint16_t port,
                   std::chrono::milliseconds timeout, HistoryRecorder& history, std::string region)
    : http_(address, port, timeout), history_(history), region_(std::move(region)) {}

Operation KvClient::read(std::int64_t process, const std::string& f, const std::string& key) {
  Operation invoke{.type = OpType::invoke,
                   .process = process,
                   .f = f,
                   .value = nlohmann::json::array({key, nullptr}),
                   .region = region_};
  history_.record(invoke);
  auto outcome = http_.get("/kv/" + key);
  Operation done = invoke;
  if (outcome.response && (outcome.response->status == 200 || outcome.response->status == 404)) {
    auto body = parse_body(outcome.response->body);
    done.type = OpType::ok;
    done.served_by = body.value("served_by", "");
    if (outcome.response->status == 200 && body.contains("value")) {
      const std::string text = body["value"].get<std::string>();
      try {
        done.value = nlohmann::json::array({key, std::stoll(text)});
      } catch (const std::exception&) {
        done.value = nlohmann::json::array({key, text});
      }
    }
  } else if (outcome.response) {
    // A read has no effect, so any unsuccessful read is a plain failure.
    done.type = OpType::fail;
    done.error = "http " + std::to_string(outcome.response->status);
  } else {
    done.type = OpType::fail;
    done.error = outcome.error;
  }
  return history_.record(done);
}

OpType KvClient::write(std::int64_t process, const std::string& key, std::int64_t value) {
  Operation invoke{.type = OpType::invoke,
                   .process = process,
                   .f = "write",
                   .value = nlohmann::json::array({key, value}),
                   .region = region_};
  history_.record(invoke);
  auto outcome = http_.request(boost::beast::http::verb::put, "/kv/" + key, std::to_string(value));
  Operation done = invoke;
  if (outcome.response && outcome.response->status == 200) {
    done.type = OpType::ok;
    done.served_by = parse_body(outcome.response->body).value("served_by", "");
  } else if (outcome.response) {
    done.type = OpType::fail;
    done.error = "http " + std::to_string(outcome.response->status);
  } else {
    done.type = outcome.maybe_delivered ? OpType::info : OpType::fail;
    done.error = outcome.error;
  }
  history_.record(done);
  return done.type;
}

}  // namespace faultline
