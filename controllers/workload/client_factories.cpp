#include "controllers/workload/client_factories.hpp"

#include <map>
#include <stdexcept>

#include "controllers/experiment/experiment.hpp"
#include "controllers/topology/plan.hpp"
#include "controllers/workload/exec_client.hpp"
#include "controllers/workload/http_client.hpp"
#include "controllers/workload/kv_client.hpp"
#include "controllers/workload/postgres_client.hpp"
#include "controllers/workload/redis_client.hpp"

namespace faultline {

namespace {

using Maker = std::unique_ptr<ClientFactory> (*)(const ClientContext&);

// The reference store: sessions talk to the workload's service in their
// region (with session tokens for customers data); final reads go straight
// to the service holding the region's data.
std::unique_ptr<ClientFactory> kv_http(const ClientContext& c) {
  const Experiment& e = c.experiment;
  const bool sessions = c.use == "session";
  const ServiceSpec* service = sessions ? e.find_service(e.workload.service) : e.state_service();
  // Validation refuses it; an experiment built in code might not have been.
  if (service == nullptr)
    throw std::logic_error("the workload's service '" + e.workload.service +
                           "' or its state service is not among the experiment's services");
  std::map<std::string, std::string> addresses;
  for (const auto& region : c.plan.regions)
    addresses[region.name] = region.host(service->host).ipv4;
  return std::make_unique<KvClientFactory>(
      addresses, sessions ? e.workload.port : e.state_port(), e.workload.timeout,
      sessions && e.workload.data == WorkloadData::customers);
}

std::unique_ptr<ClientFactory> exec(const ClientContext& c) {
  return exec_client_factory(c.experiment, c.plan, c.results_dir, c.use);
}

// PostgreSQL: the sessions and the final reads alike connect to the
// servers in failover order and are served by the one accepting writes, so
// every region's final state is the database's.
std::unique_ptr<ClientFactory> postgres(const ClientContext& c) {
  return std::make_unique<PostgresClientFactory>(postgres_target(c.experiment, c.plan));
}

// Redis: each region's server is the data service's host there; sessions
// and final reads alike go where [workload.redis] places each operation.
std::unique_ptr<ClientFactory> redis(const ClientContext& c) {
  const Experiment& e = c.experiment;
  const ServiceSpec* service = e.find_service(e.workload.redis.service);
  if (service == nullptr)  // validation refuses it
    throw std::logic_error("the redis client's service '" + e.workload.redis.service +
                           "' is not among the experiment's services");
  const auto type = redis_value_type(e.workload.kind);
  if (!type) throw std::logic_error("the redis client does not carry workload " + e.workload.kind);
  return std::make_unique<RedisClientFactory>(
      plan_redis_routes(e.workload.redis, c.plan, service->host), *type, e.workload.timeout);
}

// The templates' service in each region, for sessions and final reads alike:
// each region's final state is read where its clients wrote.
std::unique_ptr<ClientFactory> http(const ClientContext& c) {
  const Experiment& e = c.experiment;
  const ServiceSpec* service = e.find_service(e.workload.http.service);
  if (service == nullptr)
    throw std::logic_error("the http client's service '" + e.workload.http.service +
                           "' is not among the experiment's services");
  std::map<std::string, std::string> addresses;
  for (const auto& region : c.plan.regions)
    addresses[region.name] = region.host(service->host).ipv4;
  return std::make_unique<HttpTemplateClientFactory>(e.workload.http, std::move(addresses),
                                                     e.workload.timeout, e.workload.kind == "set");
}

const std::map<std::string, Maker>& makers() {
  static const std::map<std::string, Maker> table{
      {"kv-http", kv_http},
      {"exec", exec},
      {"postgres", postgres},
      {"redis", redis},
      {"http", http},
  };
  return table;
}

}  // namespace

std::unique_ptr<ClientFactory> make_client_factory(const ClientContext& context) {
  const std::string& kind = context.experiment.workload.client;
  const auto found = makers().find(kind);
  if (found == makers().end())
    throw std::invalid_argument("no client factory for client kind '" + kind + "'");
  return found->second(context);
}

}  // namespace faultline
