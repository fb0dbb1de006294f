#include "controllers/workload/http_client.hpp"

#include <boost/beast/http/verb.hpp>
#include <stdexcept>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

HttpTemplateClient::HttpTemplateClient(std::shared_ptr<const HttpClientSpec> spec,
                                       const std::string& address, std::uint16_t port,
                                       std::chrono::milliseconds timeout, bool set_reads)
    : spec_(std::move(spec)), http_(address, port, timeout), set_reads_(set_reads) {}

Operation HttpTemplateClient::invoke(const Operation& op) {
  const HttpRequestTemplate& t = http_template_of(*spec_, op);
  const HttpRequest request = http_request(*spec_, op);
  const auto verb = boost::beast::http::string_to_verb(request.method);
  if (verb == boost::beast::http::verb::unknown)
    throw std::logic_error("method '" + request.method + "' (validation refuses it)");
  const http::Outcome outcome = http_.request(verb, request.target, request.body, request.headers);
  if (outcome.response)
    return http_completion(t, op, outcome.response->status, outcome.response->body,
                           set_reads_ && is_key_read(op.f));
  Operation done = op;
  // A read has no effect: whatever became of it, it read nothing.
  done.type = outcome.maybe_delivered && !is_key_read(op.f) ? OpType::info : OpType::fail;
  done.error = outcome.error;
  return done;
}

std::unique_ptr<Client> HttpTemplateClientFactory::open(const std::string& region) {
  auto address = addresses_.find(region);
  if (address == addresses_.end())
    throw std::logic_error("no address of the http client's service in region " + region);
  return std::make_unique<HttpTemplateClient>(spec_, address->second, spec_->port, timeout_,
                                              set_reads_);
}

}  // namespace faultline
