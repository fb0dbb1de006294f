#include "controllers/run/experiment_run.hpp"

#include <spdlog/spdlog.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <thread>

#include "common/http_client.hpp"
#include "controllers/checkers/judge.hpp"
#include "controllers/compose/compose_topology.hpp"
#include "controllers/compose/container_service.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/faults/clock_skew.hpp"
#include "controllers/topology/topology_file.hpp"
#include "controllers/workload/customers.hpp"
#include "controllers/workload/final_state_reader.hpp"
#include "controllers/workload/state_probe.hpp"
#include "controllers/checkers/final_state.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/faults/partition_plan.hpp"
#include "controllers/faults/shaping_plan.hpp"
#include "controllers/history/history.hpp"
#include "controllers/report/html_report.hpp"
#include "controllers/report/junit.hpp"
#include "controllers/report/verdict.hpp"
#include "controllers/run/interrupt.hpp"
#include "controllers/run/realtime_window.hpp"
#include "controllers/run/recover.hpp"
#include "controllers/run/run_journal.hpp"
#include "controllers/services/command.hpp"
#include "controllers/services/service_process.hpp"
#include "controllers/services/service_set.hpp"
#include "controllers/timeline/timeline.hpp"
#include "controllers/topology/netns_topology.hpp"
#include "controllers/workload/kv_client.hpp"
#include "controllers/workload/kv_workload.hpp"
#include "injector/capabilities.hpp"
#include "injector/nfqueue/nfqueue_engine.hpp"
#include "injector/nfqueue/queue_rules.hpp"
#include "injector/route_block.hpp"
#include "injector/traffic_control.hpp"

namespace faultline {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string new_run_id() {
  std::random_device rd;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%06x", rd() & 0xffffffu);
  return buf;
}

std::string timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

injector::RouteType drop_of(const FaultSpec& f) {
  return f.prohibit ? injector::RouteType::prohibit : injector::RouteType::blackhole;
}

std::vector<RegionInput> region_inputs(const Experiment& e) {
  std::vector<RegionInput> inputs;
  for (const auto& r : e.regions) inputs.push_back({r.name, r.geo});
  return inputs;
}

std::string describe_fault(const FaultSpec& f) {
  std::string text = fault_kind_name(f.kind);
  if (f.kind == FaultKind::partition) {
    text += " ";
    if (f.ports)
      text += "port " + std::to_string(f.ports->low) +
              (f.ports->high != f.ports->low ? "-" + std::to_string(f.ports->high) : "") + " ";
    for (size_t g = 0; g < f.groups.size(); ++g) {
      if (g) text += f.one_way ? " -/-> " : " | ";
      text += "[";
      for (size_t i = 0; i < f.groups[g].size(); ++i) text += (i ? "," : "") + f.groups[g][i];
      text += "]";
    }
  } else if (is_traffic_fault(f.kind) && f.kind != FaultKind::slow_db) {
    text += f.between.empty() ? " every region pair"
                              : " " + f.between[0] + (f.one_way ? " -> " : " <-> ") + f.between[1];
    if (f.ports)
      text += " port " + std::to_string(f.ports->low) +
              (f.ports->high != f.ports->low ? "-" + std::to_string(f.ports->high) : "");
  } else {
    text += " " + f.region;
    if (!f.service.empty()) text += "/" + f.service;
    if (f.kind == FaultKind::slow_db)
      text += "/" + f.host + " port " + std::to_string(f.ports->low);
  }
  return text;
}

// Chooses the engine for netem-style faults and refuses, before anything is
// created, an experiment this kernel cannot serve.
std::string choose_engine(const Experiment& e) {
  bool port_partitions = false;
  for (const auto& f : e.faults)
    port_partitions = port_partitions ||
                      ((f.kind == FaultKind::partition || f.kind == FaultKind::isolate) && f.ports);
  if (!e.has_traffic_faults() && !port_partitions) return "none";
  auto caps = injector::probe_capabilities();
  if (port_partitions && !injector::has_capability(caps, "nftables"))
    throw CapabilityError(
        "this kernel lacks nf_tables, which " + e.path +
        " needs for partitions narrowed to ports; nothing was created. Load it (modprobe "
        "nf_tables) or drop the ports; `faultline doctor` shows what this kernel offers");
  if (!e.has_traffic_faults()) return "none";
  auto missing_error = [&](const std::string& missing, const std::string& advice) {
    return CapabilityError("this kernel lacks " + missing + ", which " + e.path +
                           " needs for its traffic-control faults; nothing was created. " + advice +
                           "; `faultline doctor` shows what this kernel offers");
  };
  for (const char* piece : {"htb", "u32"})
    if (!injector::has_capability(caps, piece))
      throw missing_error(piece,
                          "Load the module (modprobe sch_htb cls_u32) or use a kernel that has it");
  if (!e.needs_netem()) return "netem";  // only rates: plain htb
  const bool netem = injector::has_capability(caps, "netem");
  const bool nfqueue = injector::has_capability(caps, "nfqueue");
  if (e.engine == "netem" || (e.engine == "auto" && netem) ||
      (e.engine == "auto" && e.needs_netem_only())) {
    if (!netem)
      throw missing_error(
          "sch_netem",
          std::string(e.needs_netem_only() ? "duplicate and corrupt need it"
                                           : "engine = \"netem\" needs it") +
              ": load it (modprobe sch_netem), use a kernel that has it" +
              (nfqueue && !e.needs_netem_only() ? ", or set engine = \"nfqueue\"" : ""));
    return "netem";
  }
  if (!nfqueue)
    throw missing_error("the NFQUEUE engine (nf_tables with the xtables NFQUEUE target)",
                        "Load nfnetlink_queue and nft_compat, or use a kernel with sch_netem");
  return "nfqueue";
}

// The first folder on the way to `path` (which may not exist yet) that
// uid/gid may not traverse, if any.
std::optional<std::string> first_untraversable(const std::string& path, uid_t uid, gid_t gid) {
  if (uid == 0) return std::nullopt;
  fs::path p = fs::absolute(path);
  std::vector<fs::path> chain;
  for (fs::path q = p; !q.empty(); q = q.parent_path()) {
    chain.push_back(q);
    if (q == q.root_path()) break;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    struct stat st {};
    if (::stat(it->c_str(), &st) != 0) break;  // does not exist yet: faultline creates it 0755
    if (!S_ISDIR(st.st_mode)) continue;
    const bool ok = st.st_uid == uid   ? (st.st_mode & S_IXUSR) != 0
                    : st.st_gid == gid ? (st.st_mode & S_IXGRP) != 0
                                       : (st.st_mode & S_IXOTH) != 0;
    if (!ok) return it->string();
  }
  return std::nullopt;
}

// Undoes one applied fault exactly once: on stop, at the heal, or when the run
// unwinds after an error or an interrupt.
class FaultGuard {
 public:
  explicit FaultGuard(std::function<void()> revert) : revert_(std::move(revert)) {}
  FaultGuard(const FaultGuard&) = delete;
  FaultGuard& operator=(const FaultGuard&) = delete;
  ~FaultGuard() {
    try {
      revert();
    } catch (const std::exception& e) {
      spdlog::error("reverting a fault during cleanup: {}", e.what());
    }
  }
  void revert() {
    if (!revert_) return;
    auto fn = std::move(revert_);
    revert_ = nullptr;
    fn();
  }

 private:
  std::function<void()> revert_;
};

class Run {
 public:
  Run(const Experiment& e, const RunOptions& options, std::string engine, std::string faketime)
      : e_(e), options_(options), engine_(std::move(engine)), faketime_(std::move(faketime)) {}
  int execute();

 private:
  void start_services();
  void wait_healthy();
  void run_timeline();
  // `due` is the instant the timeline scheduled the change for; a stop at the
  // heal has none. How late each change finished goes to the fault log.
  void start_fault(std::size_t index, SteadyClock::time_point due);
  void stop_fault(std::size_t index, std::optional<SteadyClock::time_point> due = std::nullopt);
  void heal();
  void final_reads();
  void probe_state();
  std::string clock_file(const std::string& region) const;
  Verdict judge();
  void record_nemesis(OpType type, const std::string& f, nlohmann::json value,
                      const std::string& error = "");
  Service& service(const std::string& region, const std::string& name);
  void build_topology();
  void add_containers();
  // Before any change in `netns`: refuses a namespace this run did not create
  // (namespaces) or a container the stack does not label as a region's
  // (compose), whatever the experiment says; with compose, journals the
  // container before the fault goes in.
  void claim(const std::string& netns);
  injector::ShapedInterface& shaper(const std::string& netns, const std::string& dev);
  injector::QueueRuleTable& queue_table(const std::string& netns);
  // Applies one planned change with the chosen engine; the guard undoes it.
  // A traffic change in two steps: preparing does what affects no packet
  // (claims the namespace, starts an NFQUEUE engine); the returned step
  // makes the kernel change. shape() does both at once.
  using ShapeStep = std::function<std::unique_ptr<FaultGuard>()>;
  ShapeStep prepare_shape(const ShapingChange& change);
  std::unique_ptr<FaultGuard> shape(const ShapingChange& change) { return prepare_shape(change)(); }
  std::unique_ptr<FaultGuard> nfqueue_guard(injector::QueueRuleTable& table, std::uint64_t owner,
                                            std::shared_ptr<injector::NfqueueEngine> engine,
                                            std::shared_ptr<injector::ShapingGuard> rate);
  void apply_wan_baseline();

  const Experiment& e_;
  const RunOptions& options_;
  // First, so it is deleted last: once everything it describes is released.
  std::unique_ptr<RunJournal> journal_;
  std::string engine_;
  std::string faketime_;  // libfaketime, when the experiment skews clocks
  std::uint64_t next_owner_ = 1;
  // Declared before the resources, so they outlive the guards that write them.
  nlohmann::json fault_log_ = nlohmann::json::array();
  SteadyClock::time_point timeline_origin_{};  // when the workload phase began
  nlohmann::json nfqueue_stats_ = nlohmann::json::array();
  std::string run_id_ = new_run_id();
  fs::path results_;
  TopologyPlan plan_;
  // Declaration order is teardown order reversed: faults are reverted first,
  // then the workload stops, then services, then the namespaces go.
  std::unique_ptr<compose::DockerClient> docker_;
  std::unique_ptr<Topology> topology_;
  compose::ComposeTopology* compose_ = nullptr;  // topology_, when the provider is compose
  ServiceSet services_;
  std::map<std::pair<std::string, std::string>, std::shared_ptr<injector::ShapedInterface>>
      shapers_;
  std::map<std::string, std::unique_ptr<injector::QueueRuleTable>> queue_tables_;
  std::vector<std::unique_ptr<FaultGuard>> baseline_;
  std::unique_ptr<HistoryRecorder> history_;
  std::unique_ptr<KvWorkload> workload_;
  std::map<std::size_t, std::unique_ptr<FaultGuard>> active_;
  std::vector<std::size_t> active_order_;
  std::int64_t converged_after_ns_ = -1;
};

Service& Run::service(const std::string& region, const std::string& name) {
  return services_.at(region, name);
}

void Run::claim(const std::string& netns) {
  auto refuse = [&](const std::string& why) {
    throw std::logic_error("refusing to act on namespace " + netns + ": " + why);
  };
  if (compose_ == nullptr) {
    if (netns.rfind(namespace_prefix(run_id_), 0) != 0) refuse("this run did not create it");
    topology_->netns(netns);  // throws for a name the topology does not hold
    return;
  }
  for (const auto& region : plan_.regions) {
    if (region.router_netns == netns) {
      journal_->container(compose_->container(region.name, compose::kGatewayHost).id, "touched");
      return;
    }
    for (const auto& h : region.hosts)
      if (h.netns == netns) {
        journal_->container(compose_->container(region.name, h.name).id, "touched");
        return;
      }
  }
  refuse("it is no region's container");
}

void Run::build_topology() {
  if (options_.provider != "compose") {
    topology_ =
        NamespaceTopology::build(plan_, [](const std::string& line) { spdlog::info("{}", line); });
    return;
  }
  docker_ = std::make_unique<compose::DockerClient>(options_.docker_socket);
  auto discovered =
      compose::ComposeTopology::discover(*docker_, region_inputs(e_), e_.hosts, options_.compose_project);
  compose_ = discovered.get();
  topology_ = std::move(discovered);
  plan_ = topology_->plan();
  for (const auto& region : plan_.regions)
    spdlog::info("region {}: gateway {} (WAN {} on {}), LAN {}", region.name,
                 compose_->container(region.name, compose::kGatewayHost).name, region.wan_v4,
                 region.wan_link, region.lan_v4);
}

// Compose: the experiment's services are the stack's containers, by host.
void Run::add_containers() {
  for (const auto& region : plan_.regions)
    for (const auto& s : e_.services) {
      const std::string label = s.name + "@" + region.name;
      services_.add(region.name, s.name,
                    std::make_unique<compose::ContainerService>(
                        *compose_, region.name, s.host, label,
                        [this](const std::string& id, const std::string& state) {
                          journal_->container(id, state);
                        }));
      spdlog::info("{} is container {} on {}", label, compose_->container(region.name, s.host).name,
                   region.host(s.host).ipv4);
    }
}

injector::ShapedInterface& Run::shaper(const std::string& netns, const std::string& dev) {
  auto& slot = shapers_[{netns, dev}];
  if (!slot) slot = injector::ShapedInterface::open(topology_->socket(netns), netns, dev);
  return *slot;
}

injector::QueueRuleTable& Run::queue_table(const std::string& netns) {
  auto& slot = queue_tables_[netns];
  if (!slot) slot = std::make_unique<injector::QueueRuleTable>(topology_->netns(netns), netns);
  return *slot;
}

Run::ShapeStep Run::prepare_shape(const ShapingChange& change) {
  claim(change.netns);
  // A container that restarted during the fault took the fault (and the link
  // it was on) with its old namespace: nothing is left to revert there.
  auto unless_replaced = [this, netns = change.netns](std::unique_ptr<FaultGuard> guard) {
    return std::make_unique<FaultGuard>(
        [this, netns, inner = std::shared_ptr<FaultGuard>(std::move(guard))] {
          if (topology_->replaced(netns)) {
            spdlog::warn("{} was replaced during the fault (a container restarted): the fault "
                         "went with its old network namespace",
                         netns);
            return;
          }
          inner->revert();
        });
  };
  if (engine_ != "nfqueue" || change.spec.netem.empty()) {
    return [this, change, unless_replaced] {
      auto guard = std::make_shared<injector::ShapingGuard>(
          shaper(change.netns, change.dev).shape(change.spec, change.band));
      return unless_replaced(std::make_unique<FaultGuard>([guard] {
        auto problems = guard->revert();
        if (!problems.empty()) throw std::runtime_error(problems.front());
      }));
    };
  }
  // NFQUEUE: the engine starts now, listening on its queue before any packet
  // is steered to it; the step adds the rules (and a rate's htb class).
  injector::QueueRuleTable& table = queue_table(change.netns);
  const std::uint16_t queue = table.allocate_queue();
  const std::uint64_t owner = next_owner_++;
  auto engine =
      std::make_shared<injector::NfqueueEngine>(topology_->netns(change.netns), change.netns, queue,
                                                change.spec.netem, e_.seed * 7919 + owner);
  return [this, change, unless_replaced, &table, queue, owner, engine] {
    std::shared_ptr<injector::ShapingGuard> rate;
    if (change.spec.rate_bits_per_second) {
      injector::ShapingSpec only_rate = change.spec;
      only_rate.netem = {};
      rate = std::make_shared<injector::ShapingGuard>(
          shaper(change.netns, change.dev).shape(only_rate, change.band));
    }
    std::vector<injector::QueueRule> rules;
    for (const auto& m : change.spec.matches) rules.push_back({change.dev, m, queue, change.band});
    table.set(owner, rules);
    return unless_replaced(nfqueue_guard(table, owner, engine, rate));
  };
}

std::unique_ptr<FaultGuard> Run::nfqueue_guard(injector::QueueRuleTable& table, std::uint64_t owner,
                                               std::shared_ptr<injector::NfqueueEngine> engine,
                                               std::shared_ptr<injector::ShapingGuard> rate) {
  return std::make_unique<FaultGuard>([this, &table, owner, engine = std::move(engine),
                                       rate = std::move(rate)]() mutable {
    auto problem = table.remove(owner);  // rules first: no packet waits on a queue about to go
    auto stats = engine->stats();
    spdlog::debug("queue {}: {} packets, {} dropped by the fault, {} by overflow, {} by the kernel",
                  engine->queue(), stats.received, stats.dropped_by_fault, stats.dropped_overflow,
                  stats.kernel_dropped);
    nfqueue_stats_.push_back({{"queue", engine->queue()},
                              {"received", stats.received},
                              {"dropped_by_fault", stats.dropped_by_fault},
                              {"dropped_overflow", stats.dropped_overflow},
                              {"kernel_dropped", stats.kernel_dropped}});
    engine.reset();  // accepts whatever it still holds
    if (rate) rate->revert();
    if (problem) throw std::runtime_error(*problem);
  });
}

void Run::apply_wan_baseline() {
  if (!e_.wan) return;
  for (const auto& change : plan_wan_baseline(plan_, *e_.wan)) baseline_.push_back(shape(change));
  spdlog::info("WAN baseline on every region pair: delay {} jitter {}",
               format_duration(e_.wan->impairment.delay),
               format_duration(e_.wan->impairment.jitter));
}

void Run::record_nemesis(OpType type, const std::string& f, nlohmann::json value,
                         const std::string& error) {
  Operation op{
      .type = type, .process = kNemesisProcess, .f = f, .value = std::move(value), .error = error};
  history_->record(op);
}

void Run::start_services() {
  for (const auto& region : plan_.regions)
    for (const auto& s : e_.services) {
      auto argv =
          expand_command(s.command, plan_, region.name, s.host, results_.string(), s.name);
      std::vector<std::string> args(argv.begin() + 1, argv.end());
      const std::string label = s.name + "@" + region.name;
      auto process = std::make_unique<ServiceProcess>(
          label, s.program, args, topology_->host(region.name, s.host),
          (results_ / ("service-" + s.name + "-" + region.name + ".log")).string());
      // {workdir}: the service's own folder, owned by the user it runs as.
      if (!s.user.empty()) process->run_as(s.user);
      const bool uses_workdir = std::any_of(s.command.begin(), s.command.end(), [](const auto& a) {
        return a.find("{workdir}") != std::string::npos;
      });
      if (uses_workdir) {
        const fs::path workdir = service_workdir(results_.string(), s.name, region.name);
        fs::create_directories(workdir);
        if (!s.user.empty() && ::chown(workdir.c_str(), process->uid(), process->gid()) != 0)
          throw std::runtime_error("cannot hand " + workdir.string() + " to user " + s.user);
      }
      // A region with clock faults runs its services on libfaketime's clock.
      for (const auto& f : e_.faults)
        if (f.kind == FaultKind::clock_skew && f.region == region.name &&
            (f.service.empty() || f.service == s.name)) {
          for (const auto& [name, value] : faketime_environment(faketime_, clock_file(region.name)))
            process->set_env(name, value);
          break;
        }
      process->start();
      spdlog::info("started {} (pid {}) on {}", label, process->pid(), region.host(s.host).ipv4);
      services_.add(region.name, s.name, std::move(process));
    }
}

std::string Run::clock_file(const std::string& region) const {
  return (results_ / ("clock-" + region + ".faketime")).string();
}

void Run::wait_healthy() {
  for (const auto& region : plan_.regions) {
    // Health checks go out from the region's client host, as a client's would.
    const std::string probe_host =
        std::find(e_.hosts.begin(), e_.hosts.end(), "client") != e_.hosts.end() ? "client"
                                                                                : e_.hosts.front();
    for (const auto& s : e_.services) {
      if (s.health.port == 0) continue;
      Service& proc = service(region.name, s.name);
      const auto deadline = SteadyClock::now() + s.health.timeout;
      injector::NetnsEntry inside(topology_->host(region.name, probe_host));
      http::Client client(region.host(s.host).ipv4, s.health.port, 500ms);
      for (;;) {
        throw_if_interrupted();
        // Any service of the region that died (a database, say) fails the start at once.
        for (const auto& other : e_.services) {
          Service& p = service(region.name, other.name);
          if (!p.running())
            throw std::runtime_error(p.label() + " exited during startup; see " + p.log_path());
        }
        auto outcome = client.get(s.health.path);
        if (outcome.response && outcome.response->status == 200) break;
        if (SteadyClock::now() > deadline)
          throw std::runtime_error(proc.label() + " not healthy after " +
                                   format_duration(s.health.timeout) + " (GET " + s.health.path +
                                   " on port " + std::to_string(s.health.port) + "); see " +
                                   proc.log_path());
        std::this_thread::sleep_for(100ms);
      }
    }
  }
  spdlog::info("all services healthy");
}

namespace {

std::int64_t micros_since(SteadyClock::time_point due) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - due).count();
}

std::int64_t monotonic_ns(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Returns at the instant a fault change is due: it sleeps until shortly
// before, then spins (a sleeping thread wakes tens of microseconds late) at
// real-time priority, which the returned window keeps until it goes. Callers
// prepare first, then await, then change the kernel while they hold the
// window. Returns at once when the instant has passed, and with no window
// when there is none (the heal).
[[nodiscard]] std::unique_ptr<RealtimeWindow> await_instant(
    std::optional<SteadyClock::time_point> due) {
  if (!due) return nullptr;
  // Sleep to within this much of the instant; spin the rest.
  constexpr auto kSpin = std::chrono::microseconds(300);
  if (SteadyClock::now() < *due - kSpin) std::this_thread::sleep_until(*due - kSpin);
  auto window = std::make_unique<RealtimeWindow>();
  while (SteadyClock::now() < *due) {
  }
  return window;
}

}  // namespace

void Run::start_fault(std::size_t index, SteadyClock::time_point due) {
  const FaultSpec& f = e_.faults[index];
  if (compose_ != nullptr) plan_ = topology_->plan();  // a restarted container has a new namespace
  const std::string f_name = std::string("start-") + fault_kind_name(f.kind);
  nlohmann::json value{
      {"fault", index}, {"kind", fault_kind_name(f.kind)}, {"what", describe_fault(f)}};
  record_nemesis(OpType::invoke, f_name, value);
  try {
    std::unique_ptr<FaultGuard> guard;
    switch (f.kind) {
      case FaultKind::partition:
      case FaultKind::isolate: {
        if (f.ports) {
          // Routes cannot see ports: drop rules in the routers' nf_tables.
          const std::uint64_t owner = next_owner_++;
          std::vector<std::pair<injector::QueueRuleTable*, std::vector<injector::QueueRule>>> planned;
          for (const auto& change :
               plan_port_partition(plan_, f.groups, f.one_way, *f.ports, f.protocol)) {
            std::vector<injector::QueueRule> rules;
            for (const auto& m : change.spec.matches) rules.push_back({change.dev, m, 0, 0, true});
            claim(change.netns);
            planned.emplace_back(&queue_table(change.netns), std::move(rules));
          }
          const auto window = await_instant(due);
          std::vector<injector::QueueRuleTable*> tables;
          for (auto& [table, rules] : planned) {
            try {
              table->set(owner, rules);
            } catch (...) {
              for (auto* done : tables) done->remove(owner);
              throw;
            }
            tables.push_back(table);
          }
          guard = std::make_unique<FaultGuard>([tables, owner] {
            std::optional<std::string> problem;
            for (auto* table : tables)
              if (auto p = table->remove(owner)) problem = p;
            if (problem) throw std::runtime_error(*problem);
          });
          break;
        }
        std::vector<injector::RouteBlockGuard::Entry> entries;
        for (auto& change :
             plan_partition(plan_, f.groups, f.one_way, drop_of(f), partition_metric(index))) {
          claim(change.netns);
          entries.push_back({topology_->socket(change.netns), change.netns, change.route});
        }
        const auto window = await_instant(due);
        auto routes = std::make_shared<injector::RouteBlockGuard>(
            injector::RouteBlockGuard::apply(std::move(entries)));
        guard = std::make_unique<FaultGuard>([routes] {
          auto problems = routes->revert();
          if (!problems.empty()) throw std::runtime_error(problems.front());
        });
        break;
      }
      case FaultKind::kill: {
        Service& proc = service(f.region, f.service);
        const auto window = await_instant(due);
        proc.kill();
        guard = std::make_unique<FaultGuard>([&proc] { proc.start(); });
        break;
      }
      case FaultKind::pause: {
        Service& proc = service(f.region, f.service);
        const auto window = await_instant(due);
        proc.pause();
        guard = std::make_unique<FaultGuard>([&proc] { proc.resume(); });
        break;
      }
      case FaultKind::clock_skew: {
        const std::string file = clock_file(f.region);
        const auto window = await_instant(due);
        write_clock_file(file, faketime_spec(f.offset, f.drift));
        guard = std::make_unique<FaultGuard>([file] { write_clock_file(file, faketime_spec(Duration(0), 0)); });
        break;
      }
      case FaultKind::restart: {
        Service& proc = service(f.region, f.service);
        const auto window = await_instant(due);
        proc.kill();
        proc.start();
        break;
      }
      case FaultKind::delay:
      case FaultKind::loss:
      case FaultKind::duplicate:
      case FaultKind::reorder:
      case FaultKind::corrupt:
      case FaultKind::bandwidth:
      case FaultKind::slow_db: {
        // Every engine starts before the instant; then the changes, in
        // order. If a later interface fails, `shaped` unwinds the earlier ones.
        std::vector<ShapeStep> steps;
        for (const auto& change : plan_traffic_fault(plan_, f, e_.wan))
          steps.push_back(prepare_shape(change));
        const auto window = await_instant(due);
        std::vector<std::unique_ptr<FaultGuard>> shaped;
        for (auto& step : steps) shaped.push_back(step());
        auto held = std::make_shared<std::vector<std::unique_ptr<FaultGuard>>>(std::move(shaped));
        guard = std::make_unique<FaultGuard>([held] {
          for (auto it = held->rbegin(); it != held->rend(); ++it) (*it)->revert();
        });
        break;
      }
    }
    const std::int64_t late_us = micros_since(due);  // the kernel has it: traffic feels it
    // A restart is over once applied: nothing stays to revert. The journal
    // follows the change, to keep its write off the fault's way to the
    // kernel: recovery relies on namespaces and containers the journal holds
    // from before they were touched, and on faultline's marks, not on these.
    journal_->fault(index, describe_fault(f), guard ? "applied" : "reverted");
    if (guard) {
      active_[index] = std::move(guard);
      active_order_.push_back(index);
    }
    record_nemesis(OpType::ok, f_name, value);
    spdlog::info("fault {} started {:.2f} ms after its instant: {}", index, static_cast<double>(late_us) / 1000.0,
                 describe_fault(f));
    fault_log_.push_back({{"fault", index},
                          {"what", describe_fault(f)},
                          {"start_ms", history_->now_ns() / 1000000},
                          {"due_ns", monotonic_ns(due)},
                          {"start_late_us", late_us}});
  } catch (const std::exception& ex) {
    record_nemesis(OpType::fail, f_name, value, ex.what());
    throw;
  }
}

void Run::stop_fault(std::size_t index, std::optional<SteadyClock::time_point> due) {
  auto it = active_.find(index);
  if (it == active_.end()) return;
  const FaultSpec& f = e_.faults[index];
  const std::string f_name = std::string("stop-") + fault_kind_name(f.kind);
  nlohmann::json value{
      {"fault", index}, {"kind", fault_kind_name(f.kind)}, {"what", describe_fault(f)}};
  record_nemesis(OpType::invoke, f_name, value);
  auto window = await_instant(due);
  try {
    it->second->revert();
  } catch (const std::exception& ex) {
    record_nemesis(OpType::info, f_name, value, ex.what());
    throw;
  }
  const std::int64_t late_us = due ? micros_since(*due) : 0;
  window.reset();
  active_.erase(it);
  active_order_.erase(std::find(active_order_.begin(), active_order_.end(), index));
  journal_->fault(index, describe_fault(f), "reverted");
  record_nemesis(OpType::ok, f_name, value);
  if (due)
    spdlog::info("fault {} stopped {:.2f} ms after its instant: {}", index, static_cast<double>(late_us) / 1000.0,
                 describe_fault(f));
  else
    spdlog::info("fault {} stopped: {}", index, describe_fault(f));
  for (auto& entry : fault_log_)
    if (entry["fault"] == index && !entry.contains("stop_ms")) {
      entry["stop_ms"] = history_->now_ns() / 1000000;
      if (due) {
        entry["stop_due_ns"] = monotonic_ns(*due);
        entry["stop_late_us"] = late_us;
      }
    }
}

// The fault timeline on Boost.Asio timers: one timer for the next event
// (armed a little early, see kLead), one for the end of the workload phase,
// and a short tick that notices Ctrl-C.
void Run::run_timeline() {
  boost::asio::io_context io;
  Timeline timeline(e_.faults, e_.duration);
  const auto start = SteadyClock::now();
  timeline_origin_ = start;
  std::exception_ptr failure;

  // The timer fires this long before an event, so that the fault can be
  // prepared and the instant met by await_instant() rather than by a wakeup.
  constexpr auto kLead = std::chrono::milliseconds(2);
  boost::asio::steady_timer next(io), end(io), tick(io);
  std::function<void()> arm = [&] {
    auto at = timeline.next();
    if (!at) return;
    next.expires_at(start + *at - kLead);
    next.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      try {
        for (const auto& event : timeline.due(
                 std::chrono::duration_cast<Duration>(SteadyClock::now() - start + kLead))) {
          if (event.action == FaultAction::start)
            start_fault(event.fault, start + event.at);
          else
            stop_fault(event.fault, start + event.at);
        }
        arm();
      } catch (...) {
        failure = std::current_exception();
        io.stop();
      }
    });
  };
  // On a terminal, a live line: elapsed time, operations per second, errors,
  // the faults in force. Log lines clear it first (see the log pattern).
  const bool live = ::isatty(STDERR_FILENO) != 0;
  auto last_line = SteadyClock::now();
  std::uint64_t last_completed = 0;
  auto status_line = [&] {
    const auto now = SteadyClock::now();
    if (!live || now - last_line < 500ms) return;
    const double seconds = std::chrono::duration<double>(now - last_line).count();
    const std::uint64_t completed = workload_ ? workload_->completed() : 0;
    std::string faults;
    for (auto index : active_order_) faults += (faults.empty() ? "" : "; ") + describe_fault(e_.faults[index]);
    std::fprintf(stderr, "\r\033[K[workload] %5.1fs/%llds  %6.0f ops/s  %llu errors  faults: %s",
                 std::chrono::duration<double>(now - start).count(),
                 static_cast<long long>(e_.duration.count() / 1000),
                 static_cast<double>(completed - last_completed) / seconds,
                 static_cast<unsigned long long>(workload_ ? workload_->failed() : 0),
                 faults.empty() ? "none" : faults.c_str());
    std::fflush(stderr);
    last_line = now;
    last_completed = completed;
  };
  std::function<void()> watch = [&] {
    tick.expires_after(50ms);
    tick.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      status_line();
      if (interrupt_requested())
        io.stop();
      else
        watch();
    });
  };
  end.expires_at(start + e_.duration);
  end.async_wait([&](boost::system::error_code ec) {
    if (!ec) io.stop();
  });
  arm();
  watch();
  io.run();
  if (live) std::fprintf(stderr, "\r\033[K");
  if (failure) std::rethrow_exception(failure);
  throw_if_interrupted();
}

void Run::heal() {
  record_nemesis(OpType::invoke, kHealF, nullptr);
  // Newest first, so overlapping faults unwind in the reverse of how they came.
  while (!active_order_.empty()) stop_fault(active_order_.back());
  record_nemesis(OpType::ok, kHealF, nullptr);
  spdlog::info("healed: every fault reverted");
}

void Run::final_reads() {
  if (e_.services.empty()) return;
  // Each region is read directly at the service holding its data, for the
  // keys it should hold, until the regions agree or the settle bound passes.
  std::map<std::string, std::string> state_address;
  std::vector<RegionKeys> regions;
  for (const auto& region : plan_.regions) {
    state_address[region.name] = region.host(e_.state_service()->host).ipv4;
    regions.push_back({region.name, &topology_->host(region.name, "client"),
                       keys_held_by(e_, region.name)});
  }
  KvClientFactory state_clients(state_address, e_.state_port(), e_.workload.timeout, false);
  auto& clock = MonotonicClock::instance();
  const FinalReadResult result = FinalStateReader(state_clients, *history_, clock)
                                     .read(regions, clock.now() + e_.settle_bound() + 2s,
                                           [] { throw_if_interrupted(); });
  if (result.agreed) {
    converged_after_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(result.took).count();
    spdlog::info("final reads: regions agree after round {}", result.rounds);
  } else {
    spdlog::warn("final reads: regions still differ after {} rounds", result.rounds);
  }
}

void Run::probe_state() {
  const InvariantSpec* residency = e_.find_invariant(InvariantKind::residency);
  if (residency == nullptr) return;
  std::vector<ProbeSite> sites;
  for (const auto& region : plan_.regions)
    sites.push_back({region.name, &topology_->host(region.name, "client"),
                     region.host(residency->probe_host).ipv4});
  probe_regions(sites,
                [residency](const std::string& address) {
                  return probe_postgres(address, residency->probe_port, residency->probe_user,
                                        residency->probe_database, residency->probe_query, 5s);
                },
                *history_);
}

Verdict Run::judge() {
  // From the file, streamed: the run kept no operation in memory.
  const std::string path = history_->path();
  Verdict verdict;
  verdict.experiment = e_.name;
  verdict.run_id = run_id_;
  verdict.seed = e_.seed;
  verdict.unknown_fails = e_.unknown_fails;
  verdict.results = judge_invariants(e_, CompactHistory::read(path));
  std::map<std::string, std::map<std::string, int>> per_region;
  for_each_operation(path, [&](const Operation& op) {
    if (op.process != kNemesisProcess && op.type != OpType::invoke)
      per_region[op.region][op_type_name(op.type)]++;
  });
  verdict.run = {
      {"operations", history_->count()},   {"per_region", per_region}, {"faults", fault_log_},
      {"results_dir", results_.string()},  {"engine", engine_},        {"nfqueue", nfqueue_stats_},
      {"duration_ms", e_.duration.count()},
      // CLOCK_MONOTONIC instants, to line the history and the faults' due
      // times up with outside captures (history times count from the first).
      {"clock", {{"history_origin_ns", monotonic_ns(history_->start())},
                 {"timeline_origin_ns", monotonic_ns(timeline_origin_)}}}};
  return verdict;
}

int Run::execute() {
  plan_ = plan_topology(run_id_, region_inputs(e_), e_.hosts);
  // Absolute: services change directory (a database into its data folder).
  results_ = fs::absolute(fs::path(options_.results_root) / (e_.name + "-" + timestamp() + "-" + run_id_));
  fs::create_directories(results_);
  JournalEntry entry;
  entry.run_id = run_id_;
  entry.provider = options_.provider;
  entry.results = results_.string();
  if (options_.provider == "compose")
    entry.docker_socket = options_.docker_socket;
  else
    entry.namespace_prefix = namespace_prefix(run_id_);
  journal_ = std::make_unique<RunJournal>(options_.state_dir, entry);
  fs::copy_file(e_.path, results_ / "experiment.toml", fs::copy_options::overwrite_existing);
  for (const auto& f : e_.faults)
    if (f.kind == FaultKind::clock_skew)
      write_clock_file(clock_file(f.region), faketime_spec(Duration(0), 0));
  spdlog::info("run {}: {} regions, results in {}", run_id_, plan_.regions.size(),
               results_.string());
  if (engine_ != "none")
    spdlog::info("traffic-control faults served by {}",
                 engine_ == "nfqueue" ? "the NFQUEUE engine" : "the kernel (netem, htb, u32)");

  // Where the time goes, phase by phase (logged at the end, and in verdict.json).
  nlohmann::json phases = nlohmann::json::object();
  auto mark = SteadyClock::now();
  auto phase_done = [&](const char* name) {
    const auto now = SteadyClock::now();
    phases[name] = std::chrono::duration_cast<std::chrono::milliseconds>(now - mark).count();
    mark = now;
  };
  const auto setup_start = SteadyClock::now();
  build_topology();
  std::ofstream(topology_file(results_.string())) << topology_document(plan_, e_).dump(2) << "\n";
  throw_if_interrupted();
  apply_wan_baseline();
  phase_done("topology");
  if (compose_ != nullptr)
    add_containers();
  else
    start_services();
  wait_healthy();
  phase_done("services");
  spdlog::info("setup took {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       SteadyClock::now() - setup_start)
                                       .count());

  history_ =
      std::make_unique<HistoryRecorder>((results_ / "history.jsonl").string(), SteadyClock::now());
  if (!e_.services.empty()) {
    std::vector<WorkloadTarget> targets;
    const ServiceSpec* target_service = e_.find_service(e_.workload.service);
    for (const auto& region : plan_.regions)
      targets.push_back({region.name, &topology_->host(region.name, "client"),
                         region.host(target_service->host).ipv4,
                         region.host(e_.state_service()->host).ipv4});
    workload_ = std::make_unique<KvWorkload>(e_, targets, *history_, MonotonicClock::instance());
    workload_->sign_up(15s);
    workload_->start();
  }
  spdlog::info("workload running for {}", format_duration(e_.duration));
  run_timeline();
  if (workload_) workload_->stop();
  phase_done("workload");
  heal();
  phase_done("heal");
  final_reads();
  probe_state();
  history_->flush();
  phase_done("final_reads");

  Verdict verdict = judge();
  phase_done("checking");
  std::ofstream(results_ / "junit.xml") << render_junit(verdict);
  std::ofstream(results_ / "report.html")
      << render_html(e_, verdict, [&](const std::function<void(const Operation&)>& visit) {
           for_each_operation(history_->path(), visit);
         });
  phase_done("reports");
  verdict.run["phases_ms"] = phases;
  std::ofstream(results_ / "verdict.json") << to_json(verdict).dump(2) << "\n";
  spdlog::info("phases (ms): {}", phases.dump());
  std::cout << render_text(verdict, ::isatty(STDOUT_FILENO) != 0)
            << "  results: " << results_.string() << "\n";
  return verdict.exit_code();
}

}  // namespace

int run_experiment(const Experiment& experiment, const RunOptions& options) {
  if (options.dry_run) {
    print_plan(experiment, options);
    return kExitHolds;
  }
  const bool compose = options.provider == "compose";
  if (compose) {
    for (const auto& f : experiment.faults)
      if (f.kind == FaultKind::clock_skew)
        throw CapabilityError(experiment.path +
                              ": clock-skew faults need services that faultline starts (it puts "
                              "them on libfaketime's clock), which the compose provider does not; "
                              "nothing was touched. Run it with --provider namespaces");
    compose::DockerClient docker(options.docker_socket);
    if (!docker.available())
      throw CapabilityError("--provider compose: no Docker daemon answers on " +
                            options.docker_socket +
                            "; nothing was touched. Start one (scripts/dockerd.sh start), then "
                            "the stack (docker-compose up -d)");
  }
  const std::string engine = choose_engine(experiment);
  // Everything a run needs from the machine is checked before anything is created.
  std::string faketime;
  for (const auto& f : experiment.faults)
    if (f.kind == FaultKind::clock_skew) {
      auto lib = find_libfaketime();
      if (!lib)
        throw CapabilityError(experiment.path +
                              ": clock-skew faults need libfaketime, which this machine lacks; "
                              "nothing was created. Install it: apt-get install libfaketime");
      faketime = *lib;
    }
  for (const auto& s : experiment.services) {
    if (s.user.empty() || compose) continue;  // a container runs as its image says
    const struct passwd* pw = ::getpwnam(s.user.c_str());
    if (pw == nullptr)
      throw CapabilityError(experiment.path + ": service '" + s.name + "' runs as user '" + s.user +
                            "', which this machine lacks; nothing was created. Create it "
                            "(useradd --system " + s.user + ") or change 'user'");
    // Its {workdir} is inside the results folder: the user must be able to reach it.
    if (auto blocked = first_untraversable(options.results_root, pw->pw_uid, pw->pw_gid))
      throw CapabilityError("service '" + s.name + "' runs as user '" + s.user +
                            "', which cannot enter " + *blocked +
                            " on the way to the results folder; nothing was created. Choose "
                            "--results in a folder it can reach (such as /var/tmp/faultline), "
                            "or let others traverse it (chmod o+x " + *blocked + ")");
  }
  // What runs killed before this one left behind goes first.
  const RecoveryOutcome recovered = recover_dead_runs(options.state_dir);
  for (const auto& line : recovered.lines) spdlog::warn("recovered: {}", line);
  for (const auto& line : recovered.problems) spdlog::warn("could not recover: {}", line);
  install_interrupt_handlers();
  auto run = std::make_unique<Run>(experiment, options, engine, faketime);
  int code;
  try {
    code = run->execute();
  } catch (const Interrupted&) {
    spdlog::warn("interrupted: reverting faults, stopping services, deleting namespaces");
    throw;
  }
  const auto teardown_start = SteadyClock::now();
  run.reset();  // faults reverted, services stopped, namespaces deleted
  spdlog::info("teardown took {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                          SteadyClock::now() - teardown_start)
                                          .count());
  return code;
}

void print_plan(const Experiment& e, const RunOptions& options) {
  TopologyPlan plan;
  if (options.provider == "compose") {
    // Read-only: the stack's containers, their addresses and links.
    compose::DockerClient docker(options.docker_socket);
    plan = compose::ComposeTopology::discover(docker, region_inputs(e), e.hosts,
                                              options.compose_project)
               ->plan();
    std::cout << "topology: the compose stack's containers (namespace names are container@pid)\n";
  } else {
    plan = plan_topology("dryrun", region_inputs(e), e.hosts);
    std::cout << "topology (run id 'dryrun' stands for the random id of a real run):\n";
    std::cout << "  backbone namespace " << plan.backbone_netns << ", bridge " << kBackboneBridge
              << "\n";
  }
  for (const auto& r : plan.regions) {
    std::cout << "  region " << r.name << " (geo " << r.geo << "): router " << r.router_netns
              << ", LAN " << r.lan_v4 << " " << r.lan_v6 << ", backbone " << r.wan_v4 << " "
              << r.wan_v6 << "\n";
    for (const auto& h : r.hosts)
      std::cout << "    host " << h.name << ": " << h.netns << " " << h.ipv4 << " " << h.ipv6
                << "\n";
  }
  // Class minors are handed out per interface as faults start; the dry run
  // numbers them in file order, so a run whose faults start in another order
  // may number them differently.
  std::map<std::pair<std::string, std::string>, std::uint16_t> next_minor;
  auto print_shaping = [&](const ShapingChange& change) {
    auto [it, fresh] =
        next_minor.try_emplace({change.netns, change.dev}, injector::kFirstFaultMinor);
    if (fresh)
      std::cout
          << "      netns " << change.netns << ": tc qdisc add dev " << change.dev
          << " root handle fa00: htb default 1 (once per interface, with class fa00:1 unlimited)\n";
    const std::uint16_t minor = it->second++;
    for (const auto& line : injector::describe_shaping(
             change.dev, minor, injector::filter_prio(minor, change.band), change.spec))
      std::cout << "      netns " << change.netns << ": " << line << "\n";
  };
  if (e.has_traffic_faults())
    std::cout << "engine: " << e.engine
              << (e.engine == "auto"
                      ? " (the kernel's netem where it has sch_netem, else the NFQUEUE engine; "
                        "`faultline doctor` tells which)"
                      : "")
              << "\n"
              << (e.engine == "nfqueue"
                      ? "  with the NFQUEUE engine, netem leaves below become queue rules "
                        "(ip/ip6 table faultline, chain egress, postrouting) served in user space\n"
                      : "");
  if (e.wan) {
    std::cout << "WAN baseline (whole run):\n";
    for (const auto& change : plan_wan_baseline(plan, *e.wan)) print_shaping(change);
  }
  std::cout << "faults:\n";
  for (std::size_t i = 0; i < e.faults.size(); ++i) {
    const FaultSpec& f = e.faults[i];
    std::cout << "  [" << i << "] at " << format_duration(f.at);
    if (f.kind != FaultKind::restart) std::cout << " for " << format_duration(f.length);
    std::cout << ": " << describe_fault(f) << "\n";
    if ((f.kind == FaultKind::partition || f.kind == FaultKind::isolate) && f.ports) {
      for (const auto& change :
           plan_port_partition(plan, f.groups, f.one_way, *f.ports, f.protocol))
        for (const auto& m : change.spec.matches)
          std::cout << "      netns " << change.netns << ": nft add rule "
                    << (m.family == 10 ? "ip6" : "ip") << " faultline egress "
                    << injector::render_rule({change.dev, m, 0, 0, true}) << "\n";
    } else if (f.kind == FaultKind::partition || f.kind == FaultKind::isolate) {
      for (const auto& change :
           plan_partition(plan, f.groups, f.one_way, drop_of(f), partition_metric(i)))
        std::cout << "      netns " << change.netns << ": route add "
                  << injector::describe(change.route) << " proto "
                  << int(injector::kFaultlineRouteProtocol) << "\n";
    } else if (is_traffic_fault(f.kind)) {
      for (const auto& change : plan_traffic_fault(plan, f, e.wan)) print_shaping(change);
    } else if (f.kind == FaultKind::kill) {
      std::cout << "      SIGKILL the process group of " << f.service << "@" << f.region
                << "; start it again at the end\n";
    } else if (f.kind == FaultKind::pause) {
      std::cout << "      SIGSTOP the process group of " << f.service << "@" << f.region
                << "; SIGCONT at the end\n";
    } else {
      std::cout << "      SIGKILL then start " << f.service << "@" << f.region << "\n";
    }
  }
}

}  // namespace faultline
