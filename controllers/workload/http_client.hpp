#pragma once
// The http client: any HTTP API as a Client (client.hpp), described by
// request templates instead of code ([workload.http], docs/clients.md). The
// templates and the rules by which an answer completes an operation are pure
// (controllers/experiment/http_template.hpp); this part sends them, one
// keep-alive connection per session (common/http_client.hpp), and says what
// no answer means:
//   fail  nothing was sent (could not connect), or a read that got no answer
//         (a read has no effect);
//   info  sent, then no answer by the operation's timeout: it may have acted.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/http_client.hpp"
#include "controllers/experiment/http_template.hpp"
#include "controllers/workload/client.hpp"

namespace faultline {

struct Experiment;
struct TopologyPlan;

class HttpTemplateClient final : public Client {
 public:
  // The templates are shared by every client of a factory, and kept alive
  // by each (a client may outlive its factory).
  HttpTemplateClient(std::shared_ptr<const HttpClientSpec> spec, const std::string& address,
                     std::uint16_t port, std::chrono::milliseconds timeout, bool set_reads);
  Operation invoke(const Operation& invoke) override;

 private:
  std::shared_ptr<const HttpClientSpec> spec_;
  http::Client http_;
  const bool set_reads_;  // the workload's reads are of sets
};

// Opens an HttpTemplateClient per session at its region's address of the
// templates' service.
class HttpTemplateClientFactory final : public ClientFactory {
 public:
  HttpTemplateClientFactory(HttpClientSpec spec,
                            std::map<std::string, std::string> address_by_region,
                            std::chrono::milliseconds timeout, bool set_reads)
      : spec_(std::make_shared<const HttpClientSpec>(std::move(spec))),
        addresses_(std::move(address_by_region)),
        timeout_(timeout),
        set_reads_(set_reads) {}
  std::unique_ptr<Client> open(const std::string& region) override;

 private:
  std::shared_ptr<const HttpClientSpec> spec_;
  std::map<std::string, std::string> addresses_;
  std::chrono::milliseconds timeout_;
  bool set_reads_;
};

}  // namespace faultline
