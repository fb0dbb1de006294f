// [workload] and [wan]: the traffic the run drives and the WAN it crosses.
#include <algorithm>

#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

const Keys kWorkloadKeys{"kind",  "service", "port",    "clients_per_region",   "rate",
                         "keys",  "reads",   "timeout", "customers_per_region", "data",
                         "state_service", "state_port", "client", "program", "args", "user"};
const Keys kDistributions{"uniform", "normal", "pareto", "paretonormal"};

// client = "exec": the user's own program (docs/clients.md).
void read_exec_client(Reader& r, const toml::table& t, Experiment& e, const std::string& base_dir,
                      const ProgramResolver& resolver) {
  WorkloadSpec& w = e.workload;
  if (t.contains("client")) {
    const Keys kinds{"kv-http", "exec"};
    if (auto client = r.choice(t, "client", kinds, "workload client"))
      w.client = *client == 0 ? ClientKind::kv_http : ClientKind::exec;
  }
  const bool exec = w.client == ClientKind::exec;
  for (const char* key : {"program", "args", "user"})
    if (!exec && t.contains(key))
      r.error(*t.get(key), std::string("'") + key + "' is for client = \"exec\"");
  if (!exec) return;
  if (auto program = r.string(t, "program", true)) {
    if (auto found = resolver(*program, base_dir))
      w.program = *found;
    else
      r.error(*t.get("program"),
              "client program '" + *program +
                  "' not found (looked next to faultline and on PATH; a path with '/' is "
                  "relative to the experiment file): build it or fix the path");
  }
  if (auto args = r.strings(t, "args")) {
    const toml::node& at = *t.get("args");
    for (auto& arg : *args) arg = substitute_vars(r, at, arg, e);
    check_placeholders(r, at, *args, e, "args");
    w.args = *args;
  }
  if (auto user = r.string(t, "user")) w.user = *user;
}

}  // namespace

void read_workload(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                   const ProgramResolver& resolver) {
  const toml::table* t = r.table(root, "workload");
  if (t == nullptr) return;
  r.check_keys(*t, "[workload]", kWorkloadKeys);
  WorkloadSpec& w = e.workload;
  w.where = position_of(t->source());
  w.written = true;
  if (auto kind = r.string(*t, "kind")) {
    if (*kind == "none") {
      w.kind = WorkloadKind::none;
      // No clients: a key that shapes them would be silently ignored.
      for (const auto& [key, node] : *t)
        if (key.str() != "kind")
          r.error(node, "'" + std::string(key.str()) +
                            "' shapes a workload, and kind = \"none\" drives none");
      return;
    }
    if (*kind == "register")
      w.kind = WorkloadKind::register_;
    else if (*kind != "kv")
      r.error(*t->get("kind"), "unknown workload kind '" + *kind +
                                   "'; the kinds are 'kv', 'register' and 'none'");
  }
  read_exec_client(r, *t, e, base_dir, resolver);
  if (auto service = r.string(*t, "service")) w.service = *service;
  if (auto port = r.integer(*t, "port", 1, 65535)) w.port = static_cast<std::uint16_t>(*port);
  if (auto n = r.integer(*t, "clients_per_region", 1, 64))
    w.clients_per_region = static_cast<int>(*n);
  if (auto rate = r.number(*t, "rate", 0.1, 100000)) w.rate = *rate;
  if (auto keys = r.integer(*t, "keys", 1, 100000)) w.keys = static_cast<int>(*keys);
  if (auto reads = r.number(*t, "reads", 0, 1)) w.read_fraction = *reads;
  if (auto timeout = r.duration(*t, "timeout", Duration(10), Duration(60000))) w.timeout = *timeout;
  if (t->contains("data")) {
    const Keys kinds{"global", "customers"};
    if (auto data = r.choice(*t, "data", kinds, "workload data"))
      w.data = *data == 0 ? WorkloadData::global : WorkloadData::customers;
  }
  if (auto n = r.integer(*t, "customers_per_region", 1, 1000)) {
    if (w.data != WorkloadData::customers)
      r.error(*t->get("customers_per_region"), "'customers_per_region' needs data = \"customers\"");
    w.customers_per_region = static_cast<int>(*n);
  }
  if (auto service = r.string(*t, "state_service")) w.state_service = *service;
  if (auto port = r.integer(*t, "state_port", 1, 65535))
    w.state_port = static_cast<std::uint16_t>(*port);
}

// Shared by [wan] and traffic-control faults: netem's delay parameters.
void read_delay(Reader& r, const toml::table& t, LinkImpairment& i, bool required) {
  if (auto d = r.duration(t, "delay", Duration(0), Duration(60000), required)) i.delay = *d;
  if (auto j = r.duration(t, "jitter", Duration(0), Duration(60000))) {
    i.jitter = *j;
    if (i.jitter > i.delay && t.contains("delay"))
      r.error(*t.get("jitter"),
              "'jitter' larger than 'delay' would need negative delays; netem clips them");
  }
  if (auto c = r.number(t, "correlation", 0, 100)) i.delay_correlation = *c;
  if (const toml::node* node = t.get("distribution")) {
    auto name = node->value<std::string>();
    if (!node->is_string() ||
        std::find(kDistributions.begin(), kDistributions.end(), *name) == kDistributions.end())
      r.error(*node, "'distribution' must be one of: uniform, normal, pareto, paretonormal");
    else if (i.jitter.count() == 0 && !t.contains("jitter"))
      r.error(*node, "a 'distribution' shapes the jitter: give 'jitter' too");
    else
      i.distribution = *name;
  }
}

void read_wan(Reader& r, const toml::table& root, Experiment& e) {
  const toml::table* t = r.table(root, "wan");
  if (t == nullptr) return;
  r.check_keys(*t, "[wan]", {"delay", "jitter", "correlation", "distribution", "loss", "rate"});
  WanBaseline wan;
  wan.where = position_of(t->source());
  read_delay(r, *t, wan.impairment, false);
  if (auto p = r.number(*t, "loss", 0, 100)) wan.impairment.loss = *p;
  if (auto rate = r.string(*t, "rate")) {
    if (auto bits = parse_rate(*rate))
      wan.impairment.rate_bits = *bits;
    else
      r.error(*t->get("rate"), "'rate' = \"" + *rate + "\" is not a rate; write e.g. \"100mbit\"");
  }
  e.wan = wan;
}

}  // namespace faultline
