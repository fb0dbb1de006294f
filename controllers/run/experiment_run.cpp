#include "controllers/run/experiment_run.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "common/clock.hpp"
#include "controllers/workload/final_state_reader.hpp"
#include "controllers/checkers/final_state.hpp"
#include "controllers/checkers/judge.hpp"
#include "controllers/checkers/residency.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/faults/clock_skew.hpp"
#include "controllers/faults/fault_plan.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/faults/nemesis.hpp"
#include "controllers/faults/schedule_toml.hpp"
#include "controllers/history/history.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/report/html_report.hpp"
#include "controllers/report/junit.hpp"
#include "controllers/report/verdict.hpp"
#include "controllers/report/write_latency.hpp"
#include "controllers/run/health.hpp"
#include "controllers/services/command.hpp"
#include "controllers/run/interrupt.hpp"
#include "controllers/run/local_actuator.hpp"
#include "controllers/run/preflight.hpp"
#include "controllers/run/realtime_window.hpp"
#include "controllers/run/recover.hpp"
#include "controllers/run/run_journal.hpp"
#include "controllers/timeline/timeline.hpp"
#include "controllers/timeline/timeline_driver.hpp"
#include "controllers/topology/topology_file.hpp"
#include "controllers/workload/customers.hpp"
#include "controllers/workload/client_factories.hpp"
#include "controllers/workload/workload.hpp"
#include "controllers/workload/state_probe.hpp"
#include "injector/network_namespace.hpp"

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

std::int64_t monotonic_ns(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Every fault of the run, written or drawn, as verdict.json lists them.
nlohmann::json schedule_json(const Experiment& e) {
  nlohmann::json faults = nlohmann::json::array();
  for (const auto& f : e.faults) {
    nlohmann::json one{{"at_ms", f.at.count()}, {"what", describe_fault(f)}};
    if (fault_lasts(f)) one["for_ms"] = f.length.count();
    if (f.drawn_by >= 0) one["drawn_by_nemesis"] = f.drawn_by;
    faults.push_back(std::move(one));
  }
  return faults;
}

// schedule.toml: the run's faults as an ordinary experiment that replays
// them (see schedule_toml.hpp), and the drawn ones logged before the run.
void write_schedule(const Experiment& e, const fs::path& to) {
  std::ifstream in(e.path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t drawn = 0;
  for (const auto& f : e.faults)
    if (f.drawn_by >= 0) {
      spdlog::info("nemesis drew [{}] at {}{}: {}", drawn++, format_duration(f.at),
                   fault_lasts(f) ? " for " + format_duration(f.length) : "", describe_fault(f));
    }
  std::ofstream(to) << render_document(
      schedule_document(text, e),
      "The faults of a run of " + e.path + " with seed " + std::to_string(e.seed) +
          ", each drawn one written\nout as a [[fault]]: `faultline run` on this file replays "
          "them.");
}

class Run final : public NemesisLog {
 public:
  Run(const Experiment& e, const RunOptions& options, std::unique_ptr<Provider> provider,
      MachineChoices machine)
      : e_(e), options_(options), machine_(std::move(machine)), provider_(std::move(provider)) {}
  int execute();
  const RunResult& result() const { return result_; }

  // NemesisLog
  void record(OpType type, const std::string& f, const nlohmann::json& value,
              const std::string& error) override {
    Operation op{.type = type, .process = kNemesisProcess, .f = f, .value = value, .error = error};
    history_->record(op);
  }
  void journal(const FaultPlan& plan, const std::string& state) override {
    journal_->fault(plan.fault, plan.what, state);
  }

 private:
  void run_timeline();
  void final_reads();
  void probe_state();
  std::string clock_file(const std::string& region) const;
  nlohmann::json nfqueue_stats() const;
  Verdict judge();

  const Experiment& e_;
  const RunOptions& options_;
  MachineChoices machine_;
  Clock& clock_ = MonotonicClock::instance();
  std::string run_id_ = new_run_id();
  fs::path results_;
  TopologyPlan plan_;
  std::vector<FaultPlan> fault_plans_;
  SteadyClock::time_point timeline_origin_{};  // when the workload phase began
  // Declaration order is teardown order reversed: faults are reverted first,
  // then the workload stops, the baseline goes, the actuator's shared
  // kernel state, the services and the regions, and the journal last, once
  // everything it describes is released.
  std::unique_ptr<RunJournal> journal_;
  std::unique_ptr<Provider> provider_;
  std::unique_ptr<Actuator> actuator_;  // the provider's (see Provider::actuator)
  AppliedFault baseline_;
  std::unique_ptr<HistoryRecorder> history_;
  std::unique_ptr<Workload> workload_;
  std::unique_ptr<Nemesis> nemesis_;
  std::int64_t converged_after_ns_ = -1;
  RunResult result_;
};

std::string Run::clock_file(const std::string& region) const {
  return (results_ / ("clock-" + region + ".faketime")).string();
}

// The fault timeline on the run's clock: it wakes a little before each event
// (see TimelineDriver), and ticks for the live status line and Ctrl-C.
void Run::run_timeline() {
  Timeline timeline(e_.faults, e_.duration);
  const auto start = clock_.now();
  timeline_origin_ = start;
  // On a terminal, a live line: elapsed time, operations per second, errors,
  // the faults in force. Log lines clear it first (see the log pattern).
  const bool live = ::isatty(STDERR_FILENO) != 0;
  auto last_line = start;
  std::uint64_t last_completed = 0;
  auto status_line = [&] {
    const auto now = clock_.now();
    if (!live || now - last_line < 500ms) return;
    const double seconds = std::chrono::duration<double>(now - last_line).count();
    const std::uint64_t completed = workload_ ? workload_->completed() : 0;
    std::string faults;
    for (auto index : nemesis_->active())
      faults += (faults.empty() ? "" : "; ") + fault_plans_[index].what;
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
  TimelineDriver driver(timeline, clock_);
  driver.run(
      start, e_.duration,
      [&](const TimelineEvent& event, Clock::time_point due) {
        if (event.action == FaultAction::start)
          nemesis_->start(event.fault, due);
        else
          nemesis_->stop(event.fault, due);
      },
      [&] {
        status_line();
        return !interrupt_requested();
      });
  if (live) std::fprintf(stderr, "\r\033[K");
  throw_if_interrupted();
}

void Run::final_reads() {
  if (!e_.drives_workload()) return;  // nothing was written, nowhere to read
  // Each region is read directly, for the keys it should hold, through the
  // workload's client kind (the reference store's at the service holding its
  // data; a user's program where its arguments say), until the regions agree
  // or the settle bound passes.
  std::vector<RegionKeys> regions;
  for (const auto& region : plan_.regions)
    regions.push_back({region.name, &provider_->topology().host(region.name, "client"),
                       keys_held_by(e_, region.name)});
  std::unique_ptr<ClientFactory> state_clients =
      make_client_factory({e_, plan_, results_.string(), "final-read"});
  Clock& clock = clock_;
  const FinalReadResult result = FinalStateReader(*state_clients, *history_, clock)
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
  const InvariantSpec* residency = e_.find_invariant("residency");
  if (residency == nullptr) return;
  std::vector<ProbeSite> sites;
  for (const auto& region : plan_.regions)
    sites.push_back({region.name, &provider_->topology().host(region.name, "client"),
                     region.host(residency->probe_host).ipv4});
  probe_regions(sites,
                [residency](const std::string& address) {
                  return probe_postgres(address, residency->probe_port, residency->probe_user,
                                        residency->probe_database, residency->probe_query, 5s);
                },
                *history_);
}

// What this machine's NFQUEUE engines saw; an actuator on other machines
// reports none here.
nlohmann::json Run::nfqueue_stats() const {
  if (const auto* local = dynamic_cast<const LocalActuator*>(actuator_.get()))
    return local->nfqueue_stats();
  return nlohmann::json::array();
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
  WriteLatency write_latency;
  for_each_operation(path, [&](const Operation& op) {
    if (op.process != kNemesisProcess && op.type != OpType::invoke)
      per_region[op.region][op_type_name(op.type)]++;
    write_latency.add(op);
  });
  verdict.run = {
      {"operations", history_->count()},
      {"per_region", per_region},
      {"write_latency", write_latency.to_json()},
      {"faults", nemesis_->fault_log()},
      {"results_dir", results_.string()},
      {"engine", machine_.engine},
      {"nfqueue", nfqueue_stats()},
      {"duration_ms", e_.duration.count()},
      {"seed", e_.seed},
      {"schedule", schedule_json(e_)},
      // CLOCK_MONOTONIC instants, to line the history and the faults' due
      // times up with outside captures (history times count from the first).
      {"clock",
       {{"history_origin_ns", monotonic_ns(history_->start())},
        {"timeline_origin_ns", monotonic_ns(timeline_origin_)}}}};
  return verdict;
}

int Run::execute() {
  // Every plan is made before anything exists: the regions', then each
  // fault's, from the experiment alone (and, with compose, the stack as it is).
  plan_ = provider_->plan(e_, run_id_);
  fault_plans_ = plan_faults(e_, plan_);
  const std::vector<PlanStep> baseline_steps = plan_baseline(e_, plan_);

  // Absolute: services change directory (a database into its data folder).
  results_ = fs::absolute(fs::path(options_.results_root) /
                          (e_.name + "-" + timestamp() + "-" + run_id_));
  fs::create_directories(results_);
  if (options_.on_results_dir) options_.on_results_dir(results_.string());
  JournalEntry entry;
  entry.run_id = run_id_;
  entry.results = results_.string();
  provider_->journal(entry);
  journal_ = std::make_unique<RunJournal>(options_.state_dir, entry);
  fs::copy_file(e_.path, results_ / "experiment.toml", fs::copy_options::overwrite_existing);
  write_schedule(e_, results_ / "schedule.toml");
  for (const auto& f : e_.faults)
    if (kind_of(f).family == FaultFamily::clock)
      write_clock_file(clock_file(f.region), faketime_spec(Duration(0), 0));
  spdlog::info("run {}: {} regions, results in {}", run_id_, plan_.regions.size(),
               results_.string());
  if (machine_.engine != "none")
    spdlog::info("traffic-control faults served by {}", machine_.engine == "nfqueue"
                                                            ? "the NFQUEUE engine"
                                                            : "the kernel (netem, htb, u32)");

  // Where the time goes, phase by phase (logged at the end, and in verdict.json).
  nlohmann::json phases = nlohmann::json::object();
  auto mark = SteadyClock::now();
  auto phase_done = [&](const char* name) {
    const auto now = SteadyClock::now();
    phases[name] = std::chrono::duration_cast<std::chrono::milliseconds>(now - mark).count();
    mark = now;
  };
  const auto setup_start = SteadyClock::now();
  provider_->build(*journal_);
  actuator_ = provider_->actuator(
      {machine_.engine, e_.seed, [this](const std::string& region) { return clock_file(region); },
       results_.string(), e_.engine, std::chrono::duration_cast<std::chrono::milliseconds>(e_.lease)});
  std::ofstream(topology_file(results_.string())) << topology_document(plan_, e_).dump(2) << "\n";
  throw_if_interrupted();
  if (!baseline_steps.empty()) {
    baseline_ = apply_steps(*actuator_, baseline_steps, clock_, std::nullopt);
    spdlog::info("WAN baseline on every region pair: delay {} jitter {}",
                 format_duration(e_.wan->impairment.delay),
                 format_duration(e_.wan->impairment.jitter));
  }
  phase_done("topology");
  provider_->start_services(
      e_, {results_.string(), machine_.faketime,
           [this](const std::string& region) { return clock_file(region); }});
  wait_healthy(e_, plan_, *provider_);
  phase_done("services");
  spdlog::info("setup took {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                       SteadyClock::now() - setup_start)
                                       .count());

  history_ =
      std::make_unique<HistoryRecorder>((results_ / "history.jsonl").string(), SteadyClock::now());
  nemesis_ = std::make_unique<Nemesis>(
      fault_plans_, *actuator_, clock_, *this,
      Nemesis::Options{.hold_instant = [] { return std::make_shared<RealtimeWindow>(); },
                       .history_origin = history_->start()});
  if (e_.drives_workload()) {
    std::vector<std::pair<std::string, const injector::NamespaceFd*>> hosts;
    for (const auto& region : plan_.regions)
      hosts.emplace_back(region.name, &provider_->topology().host(region.name, "client"));
    const ClientContext sessions{e_, plan_, results_.string(), "session"};
    std::unique_ptr<ClientFactory> sign_up;
    if (e_.workload.data == WorkloadData::customers)
      sign_up = make_client_factory({e_, plan_, results_.string(), "sign-up"});
    workload_ = std::make_unique<Workload>(e_, std::move(hosts), *history_, clock_,
                                           make_client_factory(sessions), std::move(sign_up));
    workload_->sign_up(15s);
    workload_->start();
    spdlog::info("workload running for {}", format_duration(e_.duration));
  } else {
    spdlog::info("no workload ({}): services and faults for {}",
                 e_.services.empty() ? "no services" : "kind = \"none\"",
                 format_duration(e_.duration));
  }
  run_timeline();
  if (workload_) workload_->stop();
  phase_done("workload");
  nemesis_->heal();
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
  result_.exit_code = verdict.exit_code();
  result_.results_dir = results_.string();
  for (const auto& r : verdict.results)
    if (r.validity == Validity::violated) result_.violated.push_back(r.invariant);
  result_.verdict = verdict;
  return verdict.exit_code();
}

}  // namespace

int run_experiment(const Experiment& experiment, const RunOptions& options) {
  return run_experiment_result(experiment, options).exit_code;
}

RunResult run_experiment_result(const Experiment& experiment, const RunOptions& options) {
  if (options.dry_run) {
    print_plan(experiment, options);
    return {};
  }
  // Everything a run needs from the machine is checked before anything is created.
  auto provider = provider_kind(options.provider).make(options);
  provider->preflight(experiment);
  MachineChoices machine = check_machine(experiment);
  // What runs killed before this one left behind goes first.
  const RecoveryOutcome recovered = recover_dead_runs(options.state_dir);
  for (const auto& line : recovered.lines) spdlog::warn("recovered: {}", line);
  for (const auto& line : recovered.problems) spdlog::warn("could not recover: {}", line);
  install_interrupt_handlers();
  auto run = std::make_unique<Run>(experiment, options, std::move(provider), std::move(machine));
  try {
    run->execute();
  } catch (const Interrupted&) {
    spdlog::warn("interrupted: reverting faults, stopping services, deleting namespaces");
    throw;
  }
  const auto teardown_start = SteadyClock::now();
  const RunResult result = run->result();
  run.reset();  // faults reverted, services stopped, namespaces deleted
  spdlog::info("teardown took {} ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                          SteadyClock::now() - teardown_start)
                                          .count());
  return result;
}

}  // namespace faultline
