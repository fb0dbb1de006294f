#include "controllers/experiment/section_keys.hpp"

namespace faultline {

const std::vector<KeySpec>& experiment_section_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "name",
       .description = "lowercase letters, digits and '-', at most 64 characters; names the "
                      "results directory",
       .required = true},
      {.name = "description", .description = "free text", .default_value = "\"\""},
      {.name = "duration",
       .type = KeyType::duration,
       .description = "how long the workload runs; faults happen inside it",
       .minimum = "1s",
       .maximum = "24h",
       .required = true},
      {.name = "seed",
       .type = KeyType::integer,
       .description = "seeds the workload's choice of keys and operations, and the engines' "
                      "random numbers",
       .default_value = "0",
       .minimum = "0"},
      {.name = "engine",
       .description = "who serves delay, jitter, loss, reorder, slow-db and the WAN baseline: "
                      "the kernel's netem, faultline's NFQUEUE engine, or netem where the "
                      "kernel has it",
       .default_value = "\"auto\"",
       .allowed = {"auto", "netem", "nfqueue"}},
      {.name = "lease",
       .type = KeyType::duration,
       .description = "with --provider swarm: how long each node's faultline-agent keeps the "
                      "run's faults once the controller falls silent, then reverts them by "
                      "itself (--agent-lease overrides)",
       .default_value = "\"3s\"",
       .minimum = "100ms",
       .maximum = "10m"},
      {.name = "hosts",
       .type = KeyType::strings,
       .description = "the hosts (namespaces) in every region, 1 to 10 lowercase letters or "
                      "digits each; the workload's clients run on 'client'",
       .default_value = "[\"app\", \"db\", \"client\"]"},
      {.name = "unknown",
       .description = "whether an invariant the run could not decide fails it (exit 2) or "
                      "passes; violations always fail",
       .default_value = "\"fails\"",
       .allowed = {"fails", "passes"}},
  };
  return keys;
}

const std::vector<KeySpec>& region_section_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "name",
       .description = "lowercase letters, digits and '-', at most 32 characters, unique",
       .required = true},
      {.name = "geo",
       .description = "the region's geography (us, eu, ap, ...)",
       .required = true},
      {.name = "failover",
       .description = "the region of the same geo that takes over this region's customers "
                      "when it fails"},
  };
  return keys;
}

const std::vector<KeySpec>& service_section_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "name", .description = "unique among the services", .required = true},
      {.name = "host", .description = "one of the experiment's hosts", .required = true},
      {.name = "command",
       .type = KeyType::strings,
       .description = "the program and its arguments, with placeholders ({region}, {addr}, "
                      "{addr:HOST}, {workdir}, {topology}, {vars.NAME}, ...); never passed to "
                      "a shell",
       .required = true},
      {.name = "health",
       .type = KeyType::table,
       .description = "a check faultline waits on before the workload starts: GET path on "
                      "the host's address must answer 200",
       .fields =
           {
               {.name = "path",
                .description = "the path to GET, starting with '/'",
                .default_value = "\"/health\""},
               {.name = "port",
                .type = KeyType::integer,
                .description = "the port it answers on",
                .minimum = "1",
                .maximum = "65535",
                .required = true},
               {.name = "timeout",
                .type = KeyType::duration,
                .description = "how long to wait for the first 200",
                .default_value = "\"15s\"",
                .minimum = "100ms",
                .maximum = "10m"},
           }},
      {.name = "user",
       .description = "the user the service runs as (\"root\" gives it root)",
       .default_value = "\"nobody\""},
      {.name = "log_limit",
       .description = "how large the service's log may grow (B, KB, MB, GB, KiB, MiB, GiB; "
                      "at least 4KiB); past it the log says where it was cut",
       .default_value = "\"64MiB\""},
      {.name = "cell",
       .description = "the cell of each region this service serves (lowercase letters, digits "
                      "and '_'); needs a health port, which the edge routers use"},
  };
  return keys;
}

const std::vector<KeySpec>& workload_section_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "kind",
       .description = "the workload kind",
       .default_value = "\"kv\""},  // the registry lists the kinds (workload_kinds.hpp)
      {.name = "client",
       .description = "what carries the operations (its own options go in [workload.<client>])",
       .default_value = "\"kv-http\""},  // and the clients (client_kinds.hpp)
      {.name = "program",
       .description = "with client = \"exec\", required: the client program (a path with '/' "
                      "is relative to the experiment file)"},
      {.name = "args",
       .type = KeyType::strings,
       .description = "with client = \"exec\": its arguments, with a service command's "
                      "placeholders",
       .default_value = "[]"},
      {.name = "user",
       .description = "with client = \"exec\": the user the program runs as",
       .default_value = "\"nobody\""},
      {.name = "service",
       .description = "the service the clients talk to (kv-http)",
       .default_value = "\"app\""},
      {.name = "port",
       .type = KeyType::integer,
       .description = "its port (kv-http)",
       .default_value = "8080",
       .minimum = "1",
       .maximum = "65535"},
      {.name = "clients_per_region",
       .type = KeyType::integer,
       .description = "client sessions in each region",
       .default_value = "2",
       .minimum = "1",
       .maximum = "64"},
      {.name = "rate",
       .type = KeyType::number,
       .description = "operations per second, all clients together",
       .default_value = "100",
       .minimum = "0.1",
       .maximum = "100000"},
      {.name = "keys",
       .type = KeyType::integer,
       .description = "size of the key space (k0, k1, ...)",
       .default_value = "8",
       .minimum = "1",
       .maximum = "100000"},
      {.name = "reads",
       .type = KeyType::number,
       .description = "fraction of operations that are reads (with list-append, of "
                      "micro-operations)",
       .default_value = "0.5",
       .minimum = "0",
       .maximum = "1"},
      {.name = "max_txn_length",
       .type = KeyType::integer,
       .description = "with kind = \"list-append\": micro-operations per transaction, drawn "
                      "from 1 to this",
       .default_value = "4",
       .minimum = "1",
       .maximum = "64"},
      {.name = "max_writes_per_key",
       .type = KeyType::integer,
       .description = "with kind = \"list-append\": appends to a key (by any session) before a "
                      "fresh key takes its place (k3, then k3.1, ...), as Elle retires keys; 0: "
                      "never",
       .default_value = "32",
       .minimum = "0",
       .maximum = "1000000"},
      {.name = "timeout",
       .type = KeyType::duration,
       .description = "per operation; a write that times out is info (may or may not have "
                      "happened)",
       .default_value = "\"1s\"",
       .minimum = "10ms",
       .maximum = "1m"},
      {.name = "retry",
       .type = KeyType::table,
       .description = "with kind = \"kv\": how a session retries a read or write that failed "
                      "or timed out; each retry is an operation of its own, with retry_of",
       .fields =
           {
               {.name = "attempts",
                .type = KeyType::integer,
                .description = "attempts in all, the first included (1 never retries)",
                .default_value = "1",
                .minimum = "1",
                .maximum = "10"},
               {.name = "backoff",
                .type = KeyType::duration,
                .description = "the wait before the first retry, doubled before each next one",
                .default_value = "\"100ms\"",
                .minimum = "0ms",
                .maximum = "1m"},
               {.name = "budget",
                .type = KeyType::number,
                .description = "a session retries at most this fraction of its first attempts",
                .default_value = "1",
                .minimum = "0",
                .maximum = "1"},
               {.name = "region",
                .description = "where a retry goes: the session's own region's service, or "
                               "its failover region's",
                .default_value = "\"same\"",
                .allowed = {"same", "failover"}},
           }},
      {.name = "data",
       .description = "every client on the same keys, or customers homed in regions",
       .default_value = "\"global\"",
       .allowed = {"global", "customers"}},
      {.name = "customers_per_region",
       .type = KeyType::integer,
       .description = "with data = \"customers\": customers homed in each region",
       .default_value = "2",
       .minimum = "1",
       .maximum = "1000"},
      {.name = "cells",
       .type = KeyType::strings,
       .description = "with data = \"customers\": the cells of every region; customer n of a "
                      "region is assigned to cells[n % len]",
       .default_value = "[]"},
      {.name = "state_service",
       .description = "the service holding each region's data: sign-up and the final reads "
                      "go straight to it (default: the workload's service)"},
      {.name = "state_port",
       .type = KeyType::integer,
       .description = "its port (default: the workload's port)",
       .minimum = "1",
       .maximum = "65535"},
  };
  return keys;
}

const std::vector<KeySpec>& wan_section_keys() {
  static const std::vector<KeySpec> keys{
      {.name = "delay",
       .type = KeyType::duration,
       .description = "one-way delay added to every packet between regions",
       .minimum = "0ms",
       .maximum = "1m"},
      {.name = "jitter",
       .type = KeyType::duration,
       .description = "random variation around delay (at most delay)",
       .minimum = "0ms",
       .maximum = "1m"},
      {.name = "correlation",
       .type = KeyType::number,
       .description = "percent: how much each packet's jitter follows the previous one's",
       .minimum = "0",
       .maximum = "100"},
      {.name = "distribution",
       .description = "the jitter's distribution (iproute2's tables)",
       .default_value = "\"uniform\"",
       .allowed = {"uniform", "normal", "pareto", "paretonormal"}},
      {.name = "loss",
       .type = KeyType::number,
       .description = "percent of packets dropped",
       .minimum = "0",
       .maximum = "100"},
      {.name = "rate", .description = "bandwidth, e.g. \"100mbit\""},
  };
  return keys;
}

std::vector<std::string> key_names(const std::vector<KeySpec>& keys) {
  std::vector<std::string> names;
  for (const KeySpec& key : keys) names.push_back(key.name);
  return names;
}

}  // namespace faultline
