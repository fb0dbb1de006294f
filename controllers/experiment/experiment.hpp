#pragma once
// An experiment as plain values: what the TOML file says, validated, with the
// source position of everything a later error may need to point at.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/experiment/client_specs.hpp"

namespace faultline {

using Duration = std::chrono::milliseconds;

struct SourcePosition {
  int line = 0;
  int column = 0;
};

struct RegionSpec {
  std::string name;      // e.g. "us-east-1"
  std::string geo;       // e.g. "us"
  std::string failover;  // a region of the same geo that takes over, or empty
  SourcePosition where;
};

struct HealthCheck {
  std::string path = "/health";  // HTTP GET from the region's client host
  std::uint16_t port = 0;        // 0: no health check
  Duration timeout{15000};       // how long to wait for the first 200
};

inline constexpr std::uint64_t kDefaultLogLimit = 64ULL << 20;  // 64 MiB

struct ServiceSpec {
  std::string name;
  std::string host;                  // the host (namespace) in each region it runs in
  std::vector<std::string> command;  // argv template; see docs/experiments.md
  std::string program;               // command[0] resolved to an absolute path
  // The user it runs as: unprivileged by default, never with the controller's
  // capabilities unless the experiment says "root".
  std::string user = "nobody";
  HealthCheck health;
  // A service's log stops growing here (the cut marked in it), so a service
  // that writes without end cannot fill the disk.
  std::uint64_t log_limit = kDefaultLogLimit;
  // The cell of each region this service serves (empty: none): the edge
  // routers find each cell's host and port (its health port) in the topology
  // file, and the cell-isolation invariant knows which customers a fault on
  // it touched.
  std::string cell;
  SourcePosition where;
};

// What the workload reads and writes:
//   global     keys shared by every region, written from every region;
//   customers  customers homed in each region (registered as global routing
//              data first), each driven by one session that carries a session
//              token, reading and writing its own keys.
enum class WorkloadData { global, customers };

// [workload]: what the sessions do and what carries their operations.
//   kind    a workload kind (workload_kinds.hpp): "kv", "register", "set",
//           "list-append", or "none" (no clients at all; the run starts the
//           services, waits for their health, applies the faults and heals:
//           an experiment that only watches the system);
//   client  a client kind (client_kinds.hpp): the reference store's HTTP API
//           ("kv-http"), the user's own program ("exec"), ...
// [workload] retry: how a session retries an operation that failed or timed
// out, as real clients do. Each retry is an operation of its own, linked to
// the first attempt (Operation::retry_of).
struct RetrySpec {
  int attempts = 1;        // in all, the first included: 1 never retries
  Duration backoff{100};   // before the first retry; doubled before each next
  double budget = 1;       // a session's retries stay within budget x its first attempts
  bool failover = false;   // retry at the session region's failover region's service
};

struct WorkloadSpec {
  std::string kind = "kv";
  std::string client = "kv-http";
  ExecClientSpec exec;
  PostgresClientSpec postgres;
  RedisClientSpec redis;
  HttpClientSpec http;
  std::string service = "app";  // clients talk to this service in their own region
  std::uint16_t port = 8080;
  WorkloadData data = WorkloadData::global;
  int customers_per_region = 2;
  // The cells of every region (data = "customers"): customer n of a region
  // is assigned to cells[n % size], sent in its sign-up. Empty: no cells.
  std::vector<std::string> cells;
  // The service that holds each region's data, read directly for the final
  // reads (the workload's service may be a router in front of it).
  std::string state_service;  // empty: the workload's service
  std::uint16_t state_port = 0;
  int clients_per_region = 2;
  double rate = 100;  // operations per second, all clients together
  int keys = 8;
  double read_fraction = 0.5;
  int max_txn_length = 4;  // list-append: micro-operations per transaction, at most
  // list-append: appends to a key before a fresh one takes its place, as
  // Elle's generator does, so lists stay short however long the run (0: never).
  int max_writes_per_key = 32;
  Duration timeout{1000};  // per operation
  RetrySpec retry;
  // Whether the file has a [workload] table. Without one the run still drives
  // these defaults against the services, if there are any; kind = "none" is
  // how an experiment with services asks for no workload.
  bool written = false;
  SourcePosition where;
};

// netem parameters as an experiment states them (percentages, durations).
struct LinkImpairment {
  Duration delay{0};
  Duration jitter{0};
  double delay_correlation = 0;
  std::string distribution;  // "", "uniform", "normal", "pareto", "paretonormal"
  double loss = 0;
  double loss_correlation = 0;
  double duplicate = 0;
  double reorder = 0;
  double reorder_correlation = 0;
  double corrupt = 0;
  std::uint64_t rate_bits = 0;  // 0: no limit
};

// The WAN baseline: every region pair, both directions, for the whole run.
struct WanBaseline {
  LinkImpairment impairment;
  SourcePosition where;
};

struct PortRange {
  std::uint16_t low = 0;
  std::uint16_t high = 0;
};

// A command fault: a program run in one host at the fault's instant, and
// another when it ends, as an operator or a failover manager would.
struct CommandFaultSpec {
  // argv templates (service placeholders; {vars.NAME} already filled in),
  // the program of each resolved like a service's (absolute)
  std::vector<std::string> run;
  std::string program;
  std::vector<std::string> at_end;  // empty: nothing runs at the end
  std::string end_program;
  std::string user = "nobody";
  Duration timeout{30000};  // a program still running then is killed
};

// One [[fault]] table. Its kind is a registered name (see
// controllers/faults/fault_registry.hpp), which reads the table and plans the
// fault; the fields below are what today's kinds take.
struct FaultSpec {
  std::string kind = "partition";
  Duration at{0};
  Duration length{0};  // the `for` key; 0 for restart
  // partition: groups of regions; isolate: one region (stored as groups too)
  std::vector<std::vector<std::string>> groups;
  bool one_way = false;   // partition: the first group cannot reach the others
  bool prohibit = false;  // prohibit routes (fail fast) instead of blackhole
  std::string region;     // isolate, kill, pause, restart, slow-db
  std::string service;    // kill, pause, restart
  // traffic-control faults
  std::vector<std::string> between;  // two regions; empty: every pair
  LinkImpairment impairment;
  std::optional<PortRange> ports;  // narrows to traffic from or to these ports
  std::uint8_t protocol = 6;       // with ports: IPPROTO_TCP or IPPROTO_UDP
  std::string host = "db";         // slow-db: the database's host; command: where it runs
  // clock-skew: how far the region's clocks are off, and how fast they drift
  Duration offset{0};
  double drift = 0;  // 0.001: the clock runs 0.1% fast
  CommandFaultSpec command;
  // The [[nemesis]] table (its index) this fault was drawn from; -1 for a
  // [[fault]] the file writes.
  int drawn_by = -1;
  SourcePosition where;
};

// A low and a high bound, both included: what a [[nemesis]] draws from.
template <typename T>
struct Range {
  T low{};
  T high{};
};

// One [[nemesis]] table: faults drawn at random from the experiment's seed
// (controllers/faults/random_nemesis.hpp), appended to the [[fault]]s before
// validation, so a drawn schedule obeys every rule a written one does.
struct NemesisSpec {
  std::vector<std::string> kinds;  // fault kinds to draw from, each equally likely
  int faults = 0;                  // how many to draw
  Duration start{0};               // no fault starts before this
  Range<Duration> interval{Duration(1000), Duration(3000)};  // between two faults' starts
  Range<Duration> length{Duration(1000), Duration(4000)};    // the `for` of each
  // partition: the shapes a cut takes (one, minority, majority, pair, one-way)
  std::vector<std::string> targets;
  std::vector<std::string> regions;   // where region faults happen; empty: every region
  std::vector<std::string> services;  // kill, pause, restart; empty: every service
  Range<Duration> delay{Duration(50), Duration(500)};
  Range<double> loss{5, 50};  // percent
  Range<Duration> offset{Duration(-10000), Duration(10000)};  // clock-skew
  // What a drawn fault of these kinds takes that the nemesis does not draw,
  // read by the kind's own reader: a command's host, programs, user and
  // timeout (the `command` table); slow-db's host and port. The draw gives
  // each its region, instant, `for` and (slow-db) delay.
  std::optional<FaultSpec> command;
  std::optional<FaultSpec> slow_db;
  SourcePosition where;
};

// One [[invariant]] table. Its kind is a registered name (see
// controllers/checkers/invariant_registry.hpp), which reads the table and
// judges the history; the fields below are what today's kinds take.
struct InvariantSpec {
  std::string kind = "convergence";
  // convergence: bound on time from heal to agreement; failover-time: bound on
  // the longest time a customer's operations fail
  Duration within{10000};
  // availability: the lowest acceptable fraction of successful operations
  double min_fraction = 0.99;
  // residency: where each region's database answers the state probe
  std::string probe_host = "db";
  std::uint16_t probe_port = 5432;
  std::string probe_user = "faultline";
  std::string probe_database = "postgres";
  std::string probe_query =
      "SELECT DISTINCT customer FROM entries WHERE class = 'customer'";
  // The search checkers (linearizable; serializable, snapshot-isolation,
  // strict-serializable): how long they may search before answering
  // unknown, and how much memory (linearizable).
  Duration budget{30000};
  std::uint64_t memory_budget = 1ULL << 30;
  // set: whether a read that misses an element known to be present fails it
  // (a linearizable set) or is only reported (an eventually consistent one).
  bool stale_is_violation = false;
  // latency: (quantile, bound) pairs, the window judged ("run", "faults",
  // "after-recovery"), and whether only regions no fault touched count.
  std::vector<std::pair<double, Duration>> percentiles;
  std::string during = "run";
  bool untouched = false;
  // recovery: the first step after a region returns (its ramp is `within`,
  // its error bound 1 - min_fraction, its p99 `percentiles`), and the most
  // its share may jump in that step, relative to before the fault.
  Duration recovery_step{1000};
  double recovery_max_jump = 0.6;
  // cell-isolation: how far a customer's fraction of successful operations
  // may drop during a cell's fault below its fraction before the faults
  double tolerance = 0.05;
  SourcePosition where;
};

struct Experiment {
  std::string path;  // the file it came from
  std::string name;
  std::string description;
  Duration duration{0};
  std::uint64_t seed = 0;
  // Who serves netem-style faults: "netem" (the kernel's sch_netem), "nfqueue"
  // (user-space verdicts through the netfilter queue), or "auto": netem where
  // the kernel has it, else nfqueue.
  std::string engine = "auto";
  // How long a node's faultline-agent keeps this run's faults once the
  // controller falls silent (--provider swarm): then it reverts them itself.
  Duration lease{3000};
  // Whether an invariant the run could not decide fails it (exit 2) or not
  // (exit 0 when nothing is violated).
  bool unknown_fails = true;
  std::vector<std::string> hosts{"app", "db", "client"};
  SourcePosition hosts_where;  // of the `hosts` value, when the file gives one
  std::vector<RegionSpec> regions;
  std::vector<ServiceSpec> services;
  WorkloadSpec workload;
  std::optional<WanBaseline> wan;
  std::vector<FaultSpec> faults;  // written ones first, then those nemeses drew
  std::vector<NemesisSpec> nemeses;
  std::vector<InvariantSpec> invariants;
  std::map<std::string, std::string> vars;  // [vars], after --var overrides

  const RegionSpec* find_region(const std::string& name) const;
  const ServiceSpec* find_service(const std::string& name) const;
  // The longest convergence bound, or a default when no invariant names one.
  Duration settle_bound() const;
  // Whether any fault or the baseline needs sch_netem.
  bool needs_netem() const;
  // Whether any fault needs what only sch_netem offers (duplicate, corrupt).
  bool needs_netem_only() const;
  bool has_traffic_faults() const;
  // The first invariant of a kind ("residency"), or null.
  const InvariantSpec* find_invariant(std::string_view kind) const;
  bool has_host(std::string_view host) const;
  // Whether the run drives a workload: it has services to drive it against
  // and does not say kind = "none". Without one no operation is recorded, and
  // every invariant (all judge the workload's operations) is unknown.
  bool drives_workload() const {
    return !services.empty() && workload.kind != "none";
  }
  // The service and port holding each region's data (see WorkloadSpec).
  const ServiceSpec* state_service() const;
  std::uint16_t state_port() const;
};

}  // namespace faultline
