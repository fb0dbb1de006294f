// [workload] and [wan]: the traffic the run drives and the WAN it crosses.
#include <algorithm>

#include "controllers/experiment/client_kinds.hpp"
#include "controllers/experiment/section_keys.hpp"
#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/workload_kinds.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

const Keys kDistributions{"uniform", "normal", "pareto", "paretonormal"};

// The keys [workload] may hold: section_keys.hpp's (the common ones and
// exec's) and the tables [workload.<client>].
Keys workload_keys() {
  Keys keys = key_names(workload_section_keys());
  for (const ClientKind* kind : client_kinds())
    if (!kind->keys.empty()) keys.push_back(kind->name);
  return keys;
}

// client = "...": the kind, its keys of [workload] and its own table, each
// refused where they belong to another client kind.
void read_client(Reader& r, const toml::table& t, Experiment& e, const std::string& base_dir,
                 const ProgramResolver& resolver) {
  WorkloadSpec& w = e.workload;
  if (t.contains("client")) {
    const Keys kinds = client_kind_names();
    if (auto client = r.choice(t, "client", kinds, "workload client")) w.client = kinds[*client];
  }
  const ClientKind& chosen = *find_client_kind(w.client);
  for (const ClientKind* other : client_kinds()) {
    if (other == &chosen) continue;
    for (const auto& key : other->workload_keys)
      if (t.contains(key) && !std::count(chosen.workload_keys.begin(), chosen.workload_keys.end(), key))
        r.error(*t.get(key), "'" + key + "' is for client = \"" + other->name + "\"");
    if (!other->keys.empty() && t.contains(other->name))
      r.error(*t.get(other->name), "[workload." + other->name + "] is for client = \"" +
                                       other->name + "\", and this workload's client is \"" +
                                       chosen.name + "\"");
  }
  const toml::table* own = nullptr;
  if (!chosen.keys.empty() && t.contains(chosen.name)) {
    own = t.get(chosen.name)->as_table();
    if (own == nullptr) {
      r.error(*t.get(chosen.name), "'" + chosen.name + "' must be a table: [workload." +
                                       chosen.name + "]");
    } else {
      Keys allowed;
      for (const auto& key : chosen.keys) allowed.push_back(key.name);
      r.check_keys(*own, "[workload." + chosen.name + "]", allowed);
    }
  }
  if (chosen.read != nullptr) chosen.read({r, t, own, e, base_dir, resolver}, w);
}

}  // namespace

void read_workload(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                   const ProgramResolver& resolver) {
  const toml::table* t = r.table(root, "workload");
  if (t == nullptr) return;
  r.check_keys(*t, "[workload]", workload_keys());
  WorkloadSpec& w = e.workload;
  w.where = position_of(t->source());
  w.written = true;
  if (auto kind = r.string(*t, "kind")) {
    if (find_workload_kind(*kind) == nullptr) {
      r.error(*t->get("kind"), "unknown workload kind '" + *kind + "'; the kinds are " +
                                   listed(workload_kind_names()));
    } else if (*kind == "none") {
      w.kind = *kind;
      // No clients: a key that shapes them would be silently ignored.
      for (const auto& [key, node] : *t)
        if (key.str() != "kind")
          r.error(node, "'" + std::string(key.str()) +
                            "' shapes a workload, and kind = \"none\" drives none");
      return;
    } else {
      w.kind = *kind;
    }
  }
  read_client(r, *t, e, base_dir, resolver);
  if (auto service = r.string(*t, "service")) w.service = *service;
  if (auto port = r.integer(*t, "port", 1, 65535)) w.port = static_cast<std::uint16_t>(*port);
  if (auto n = r.integer(*t, "clients_per_region", 1, 64))
    w.clients_per_region = static_cast<int>(*n);
  if (auto rate = r.number(*t, "rate", 0.1, 100000)) w.rate = *rate;
  if (auto keys = r.integer(*t, "keys", 1, 100000)) w.keys = static_cast<int>(*keys);
  if (auto reads = r.number(*t, "reads", 0, 1)) w.read_fraction = *reads;
  if (auto timeout = r.duration(*t, "timeout", Duration(10), Duration(60000))) w.timeout = *timeout;
  if (const toml::node* node = t->get("retry")) {
    if (const toml::table* retry = node->as_table()) {
      r.check_keys(*retry, "workload retry", key_names(find_key(workload_section_keys(), "retry")->fields));
      if (auto n = r.integer(*retry, "attempts", 1, 10)) w.retry.attempts = static_cast<int>(*n);
      if (auto b = r.duration(*retry, "backoff", Duration(0), Duration(60000))) w.retry.backoff = *b;
      if (auto b = r.number(*retry, "budget", 0, 1)) w.retry.budget = *b;
      if (retry->contains("region")) {
        const Keys where{"same", "failover"};
        if (auto region = r.choice(*retry, "region", where, "retry region"))
          w.retry.failover = *region == 1;
      }
      // Reads and writes only: a write is retried with its value, so a retry
      // is the same write again, which the kv checkers can judge.
      if (w.kind != "kv")
        r.error(*node, "'retry' retries reads and writes: it needs kind = \"kv\"");
    } else {
      r.error(*node, "'retry' must be a table such as { attempts = 2, backoff = \"100ms\", "
                     "budget = 0.2, region = \"failover\" }");
    }
  }
  if (auto n = r.integer(*t, "max_txn_length", 1, 64)) {
    if (w.kind != "list-append")
      r.error(*t->get("max_txn_length"), "'max_txn_length' shapes list-append transactions");
    w.max_txn_length = static_cast<int>(*n);
  }
  if (auto n = r.integer(*t, "max_writes_per_key", 0, 1000000)) {
    if (w.kind != "list-append")
      r.error(*t->get("max_writes_per_key"), "'max_writes_per_key' retires list-append keys");
    w.max_writes_per_key = static_cast<int>(*n);
  }
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
  if (auto cells = r.strings(*t, "cells")) {
    const toml::node& at = *t->get("cells");
    if (w.data != WorkloadData::customers) r.error(at, "'cells' needs data = \"customers\"");
    for (const auto& cell : *cells) {
      if (!valid_cell_name(cell))
        r.error(at, "cell '" + cell + "' must be lowercase letters, digits and '_'");
      else if (std::count(cells->begin(), cells->end(), cell) > 1)
        r.error(at, "cell '" + cell + "' is listed twice in 'cells'");
      else if (std::none_of(e.services.begin(), e.services.end(),
                            [&](const ServiceSpec& s) { return s.cell == cell; }))
        r.error(at, "no service serves cell '" + cell + "': add cell = \"" + cell +
                        "\" to the [[service]] that does");
    }
    for (const auto& s : e.services)
      if (!s.cell.empty() && std::find(cells->begin(), cells->end(), s.cell) == cells->end())
        r.error(at, "service '" + s.name + "' serves cell '" + s.cell +
                        "', which 'cells' does not list");
    w.cells = *cells;
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
  r.check_keys(*t, "[wan]", key_names(wan_section_keys()));
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
