// faultline: chaos experiments for multi-region, active-active systems.
//
//   faultline run EXPERIMENT.toml [--results DIR] [--dry-run] [--seed N] [--repeat N]
//   faultline run A.toml B.toml ... | DIR     (a suite: each in turn, one table, one junit.xml)
//   faultline shrink RESULTS_DIR [--max-runs N] [--max-time D]
//   faultline validate EXPERIMENT.toml...
//   faultline check RESULTS_DIR
//   faultline check HISTORY.edn|HISTORY.jsonl --invariant NAME...
//   faultline compose-override COMPOSE.yml --region SERVICE=REGION[:HOST]... [-o FILE]
//
// Exit codes: 0 every invariant holds, 1 one is violated, 2 unknown (could
// not decide), 130 interrupted (after cleaning up), 254 bad input, 255
// internal error.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "common/version.hpp"
#include "controllers/compose/compose_override.hpp"
#include "controllers/agent/agent_call.hpp"
#include "controllers/checkers/invariant_registry.hpp"
#include "controllers/experiment/diagnostic.hpp"
#include "controllers/checkers/judge.hpp"
#include "controllers/history/edn_history.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/experiment/schema.hpp"
#include "controllers/report/edn.hpp"
#include "controllers/report/html_report.hpp"
#include "controllers/report/junit.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/report/verdict.hpp"
#include "controllers/run/experiment_run.hpp"
#include "controllers/run/interrupt.hpp"
#include "controllers/run/recover.hpp"
#include "controllers/swarm/swarm_provider.hpp"
#include "controllers/run/repeat_run.hpp"
#include "controllers/run/suite_run.hpp"
#include "controllers/shrink/shrink_command.hpp"
#include "controllers/run/run_journal.hpp"
#include "injector/capabilities.hpp"
#include "injector/privileges.hpp"

using namespace faultline;

namespace {

// Checking a stored run needs no programs: accept any command.
std::optional<std::string> accept_any_program(const std::string& program, const std::string&) {
  return program;
}

int check_stored_run(const std::string& dir, bool write_reports) {
  namespace fs = std::filesystem;
  // schedule.toml holds the seed the run used and the faults it drew (the
  // copy of the file would draw its [[nemesis]] again from the file's seed).
  const fs::path schedule = fs::path(dir) / "schedule.toml";
  Experiment e = load_experiment(
      (fs::exists(schedule) ? schedule : fs::path(dir) / "experiment.toml").string(),
      accept_any_program);
  // Streamed into the checkers' compact form: a long history never has to fit
  // in memory as operations.
  const std::string history_path = (fs::path(dir) / "history.jsonl").string();
  const auto history = CompactHistory::read(history_path);
  Verdict verdict;
  verdict.experiment = e.name;
  verdict.run_id = fs::path(dir).filename().string();
  verdict.seed = e.seed;
  verdict.unknown_fails = e.unknown_fails;
  verdict.results = judge_invariants(e, history);
  if (write_reports) {
    // The run's own figures (engine, faults applied) come from its verdict.json.
    std::ifstream stored((fs::path(dir) / "verdict.json").string());
    auto old = nlohmann::json::parse(stored, nullptr, false);
    if (!old.is_discarded() && old.contains("run")) verdict.run = old["run"];
    std::ofstream((fs::path(dir) / "junit.xml").string()) << render_junit(verdict);
    std::ofstream((fs::path(dir) / "report.html").string())
        << render_html(e, verdict, [&](const std::function<void(const Operation&)>& visit) {
             for_each_operation(history_path, visit);
           });
    std::cout << "wrote " << (fs::path(dir) / "junit.xml").string() << " and "
              << (fs::path(dir) / "report.html").string() << "\n";
  }
  std::cout << render_text(verdict, ::isatty(STDOUT_FILENO) != 0);
  return verdict.exit_code();
}

// A history faultline did not record (Jepsen's history.edn, or any
// history.jsonl), judged by the invariants named on the command line.
int check_history_file(const std::string& path, const std::vector<std::string>& invariants) {
  namespace fs = std::filesystem;
  if (invariants.empty()) {
    std::cerr << "faultline: " << path
              << ": a history file has no experiment to name its invariants; name them with "
                 "--invariant (e.g. --invariant linearizable)\n";
    return kExitBadInput;
  }
  Experiment e;
  e.name = fs::path(path).filename().string();
  for (const auto& name : invariants) {
    if (find_invariant_kind(name) == nullptr) {
      std::cerr << "faultline: unknown invariant '" << name << "' (one of: "
                << listed(invariant_kind_names(), false) << ")\n";
      return kExitBadInput;
    }
    InvariantSpec spec;
    spec.kind = name;
    e.invariants.push_back(spec);
  }
  CompactHistory history;
  std::vector<Operation> operations;  // outlives `history`, which points into it for witnesses
  if (fs::path(path).extension() == ".edn") {
    std::ifstream in(path);
    if (!in) {
      std::cerr << "faultline: cannot read " << path << "\n";
      return kExitBadInput;
    }
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      operations = operations_from_edn(text);
      history = CompactHistory::from(operations);
    } catch (const std::invalid_argument& err) {
      std::cerr << "faultline: " << path << ":" << err.what() << "\n";
      return kExitBadInput;
    }
  } else {
    history = CompactHistory::read(path);
  }
  Verdict verdict;
  verdict.experiment = e.name;
  verdict.run_id = "check";
  verdict.results = judge_invariants(e, history);
  std::cout << render_text(verdict, ::isatty(STDOUT_FILENO) != 0);
  return verdict.exit_code();
}

bool running_as_root() { return ::geteuid() == 0; }

// The first word of the command line when it is not one of `app`'s
// subcommands (options before it are the main program's flags).
std::optional<std::string> unknown_subcommand(CLI::App& app, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (!word.empty() && word[0] == '-') continue;
    for (const auto* sub : app.get_subcommands({}))
      if (sub->get_name() == word) return std::nullopt;
    return word;
  }
  return std::nullopt;
}

int print_doctor_report(const std::vector<injector::Capability>& caps) {
  std::cout << "kernel capabilities (probed in a scratch namespace):\n";
  for (const auto& c : caps) {
    std::cout << "  " << (c.available ? "yes" : "NO ") << "  " << c.kind << " " << c.name;
    if (!c.available) std::cout << " (" << c.error << ")";
    std::cout << "\n        used for: " << c.needed_for << "\n";
  }
  const bool netem = injector::has_capability(caps, "netem");
  const bool nfqueue = injector::has_capability(caps, "nfqueue");
  if (!netem && nfqueue)
    std::cout
        << "\nwithout sch_netem, engine \"auto\" serves delay, jitter, loss, reorder, slow-db and "
           "the\n"
           "WAN baseline through the NFQUEUE engine (user-space verdicts). duplicate and corrupt\n"
           "need netem: experiments with them stop before creating anything. Load the module\n"
           "(modprobe sch_netem) or use a kernel that has it (Debian's linux-image-amd64 does).\n";
  if (!netem && !nfqueue)
    std::cout
        << "\nwithout sch_netem and without the NFQUEUE engine this kernel cannot serve delay,\n"
           "jitter, loss, duplicate, reorder, corrupt, slow-db or a WAN baseline: experiments "
           "that\n"
           "use them stop before creating anything. Partitions, kill, pause, restart and\n"
           "bandwidth (htb) still work.\n";
  if (!injector::has_capability(caps, "htb") || !injector::has_capability(caps, "u32"))
    std::cout
        << "\nwithout htb and u32 no traffic-control fault can be scoped: they all stop before\n"
           "creating anything. Partitions, kill, pause and restart still work.\n";
  return 0;
}

// `faultline compose-override`: the override that places a user's compose
// services into regions (controllers/compose/compose_override.hpp).
int write_compose_override(const std::string& compose_file, const std::vector<std::string>& regions,
                           const std::string& output, compose::OverrideOptions options) {
  try {
    for (const auto& r : regions) options.placements.push_back(compose::parse_placement(r));
    const compose::ComposeFile file = compose::load_compose_file(compose_file);
    const compose::OverridePlan plan = compose::plan_override(file, options);
    const std::string text = compose::render_override(file, plan, options);
    if (output.empty() || output == "-") {
      std::cout << text;
      return 0;
    }
    std::ofstream out(output);
    if (!(out << text)) {
      std::cerr << "faultline: compose-override: cannot write " << output
                << "; choose a writable path with -o\n";
      return kExitBadInput;
    }
    std::cerr << "wrote " << output << ": ";
    for (std::size_t i = 0; i < plan.regions.size(); ++i) {
      std::cerr << (i ? "; " : "") << plan.regions[i].name << " (" << plan.regions[i].subnet;
      for (const auto& s : plan.services)
        if (s.region == plan.regions[i].name) std::cerr << ", " << s.service << " as " << s.host;
      std::cerr << ")";
    }
    const auto hosts = compose::common_hosts(plan);
    std::cerr << "\nhosts every region has, which an experiment can name: "
              << (hosts.empty() ? std::string("none") : listed(hosts, false));
    std::cerr << "\nnext: docker-compose -f " << compose_file << " -f " << output
              << " up -d, then faultline run --provider compose EXPERIMENT.toml\n";
    return 0;
  } catch (const compose::OverrideError& e) {
    std::cerr << "faultline: compose-override: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto logger = spdlog::stderr_color_mt("faultline");
  spdlog::set_default_logger(logger);
  // On a terminal each log line first clears the run's live status line.
  spdlog::set_pattern(::isatty(STDERR_FILENO) ? "\r\033[K%H:%M:%S.%e %^%l%$ %v"
                                              : "%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{"faultline: chaos experiments for multi-region, active-active systems"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("-v,--verbose", verbose, "log debug detail");

  RunOptions run_options;
  std::vector<std::string> run_args;
  auto* run = app.add_subcommand("run", "run an experiment, or a suite (several files, a folder), and print the verdict");
  run->add_option("experiments", run_args,
                  "experiment TOML file; several, or a folder (its *.toml, sorted), run as a "
                  "suite: one table, one junit.xml in the results root")
      ->required();
  run->add_option("--results", run_options.results_root, "where results/<name>-<time>-<run>/ goes")
      ->capture_default_str();
  std::vector<std::string> var_args;
  VarOverrides vars;
  // One value a --var, so that the experiments after it stay files.
  run->add_option("--var", var_args, "override a [vars] entry: --var NAME=VALUE (repeatable)")
      ->allow_extra_args(false);
  run->add_flag("--dry-run", run_options.dry_run,
                "print the topology and the kernel changes each fault makes; create nothing");
  run->add_option("--provider", run_options.provider,
                  "where the regions live: namespaces faultline builds, the containers of a "
                  "running compose stack, or a swarm stack's tasks (faults through each node's "
                  "faultline-agent)")
      ->check(CLI::IsMember(provider_names()))
      ->capture_default_str();
  run->add_option("--compose-project", run_options.compose_project,
                  "compose: the project whose containers are the regions, when several are up");
  run->add_option("--docker-socket", run_options.docker_socket,
                  "compose: the Docker API socket; swarm: a manager's")
      ->capture_default_str();
  run->add_option("--state-dir", run_options.state_dir, "where runs journal what they create")
      ->capture_default_str();
  // The swarm provider's agents (see docs/architecture.md, "The swarm provider").
  auto agent_options = [](CLI::App* sub, RunOptions& o) {
    sub->add_option("--agent", o.swarm_agents,
                    "swarm: NODE=ADDRESS[:PORT], where NODE's faultline-agent listens, when not at "
                    "the node's swarm address (repeatable)");
    sub->add_option("--agent-port", o.agent_port, "swarm: the agents' port")->capture_default_str();
    sub->add_option("--agent-certs", o.agent_certs,
                    "swarm: the folder `faultline certs` made (ca.pem, controller.pem, "
                    "controller-key.pem)")
        ->envname("FAULTLINE_AGENT_CERTS");
  };
  agent_options(run, run_options);
  run->add_option("--agent-lease", run_options.agent_lease_ms,
                  "swarm: ms an agent waits for the controller before it reverts the run's "
                  "faults (default: the experiment's lease, 3 s unless it says)")
      ->check(CLI::Range(100, 600000));
  RepeatOptions repeat;
  std::uint64_t seed = 0;
  auto* seed_option = run->add_option(
      "--seed", seed, "the seed: the [[nemesis]] schedule and the workload (default: the file's)");
  run->add_option("--repeat", repeat.times,
                  "run N times, with the seed, seed + 1, ...; stop at the first failing run")
      ->check(CLI::Range(1, 100000));
  run->add_flag("--keep-going", repeat.keep_going, "with --repeat: run all N, failing or not");

  ShrinkCommand shrink_command;
  std::string shrink_time = "2h";
  auto* shrink = app.add_subcommand(
      "shrink", "from a failing run, the smallest schedule that still fails the same invariant");
  shrink->add_option("results_dir", shrink_command.results_dir,
                     "the results directory of a failing run")
      ->required();
  shrink->add_option("--max-runs", shrink_command.max_runs, "runs to spend at most")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  shrink->add_option("--max-time", shrink_time, "time to spend at most (\"30m\", \"2h\")")
      ->capture_default_str();
  shrink->add_option("--invariant", shrink_command.invariant,
                     "the violated invariant to keep (default: the run's first violated one)");

  std::string recover_state_dir = kDefaultStateDir;
  auto* recover = app.add_subcommand(
      "recover", "undo what runs whose controller died left behind: faults, processes, namespaces");
  recover->add_option("--state-dir", recover_state_dir, "where runs journal what they create")
      ->capture_default_str();
  RunOptions recover_swarm;
  std::string recover_provider;
  recover->add_option("--provider", recover_provider,
                      "swarm: also have every node's agent sweep what carries faultline's marks")
      ->check(CLI::IsMember({"swarm"}));
  recover->add_option("--docker-socket", recover_swarm.docker_socket,
                      "swarm: a manager's Docker API socket")
      ->capture_default_str();
  agent_options(recover, recover_swarm);

  std::vector<std::string> validate_files;
  auto* validate = app.add_subcommand("validate", "check experiment files without running them");
  validate->add_option("experiments", validate_files, "experiment TOML files")->required();

  std::string check_dir;
  std::vector<std::string> check_invariants;
  auto* check = app.add_subcommand(
      "check", "judge a stored run again, or a history from elsewhere (Jepsen's EDN, JSONL)");
  check->add_option("results_dir", check_dir,
                    "a results directory of an earlier run, or a history file (history.edn, "
                    "history.jsonl)")
      ->required();
  check->add_option("--invariant", check_invariants,
                    "an invariant to judge a history file by (repeat for more)");
  bool write_reports = false;
  check->add_flag("--reports", write_reports, "rewrite junit.xml and report.html from this check");
  std::string export_dir;
  auto* export_cmd = app.add_subcommand(
      "export", "write a stored run's history as EDN for Jepsen's checkers (Knossos, Elle)");
  export_cmd->add_option("results_dir", export_dir, "a results directory of an earlier run")
      ->required();

  std::string certs_dir;
  std::vector<std::string> certs_agents;
  int certs_days = 365;
  auto* certs = app.add_subcommand(
      "certs", "make the CA and the certificates of a cluster's agents and their controller");
  certs->add_option("dir", certs_dir, "the folder to write them in (an existing CA there is reused)")
      ->required();
  certs->add_option("--agent", certs_agents, "NODE or NODE=ADDRESS: an agent's certificate (repeat)");
  certs->add_option("--days", certs_days, "validity in days")->capture_default_str();
  agent::AgentCall agent_call_options;
  auto* agent_call_cmd = app.add_subcommand(
      "agent-call", "send one request to a node's faultline-agent, or apply a plan step through it");
  agent_call_cmd->add_option("agent", agent_call_options.target, "the agent's ADDRESS:PORT")->required();
  agent_call_cmd->add_option("op", agent_call_options.op,
                             "inventory, sweep, container, renew, ... or apply")->required();
  agent_call_cmd->add_option("fields", agent_call_options.fields,
                             "the request's fields as a JSON object (apply: the plan step)");
  agent_call_cmd->add_option("--certs", agent_call_options.certs,
                             "the folder of `faultline certs` (ca.pem, controller.pem, controller-key.pem)")
      ->required();
  agent_call_cmd->add_option("--run", agent_call_options.run, "the run id the lease is held for");
  agent_call_cmd->add_option("--lease", agent_call_options.lease_ms, "the lease in ms")->capture_default_str();
  agent_call_cmd->add_option("--engine", agent_call_options.engine,
                             "who serves netem-style shaping on the node: auto, netem or nfqueue")
      ->capture_default_str();
  agent_call_cmd->add_option("--node", agent_call_options.node,
                             "the agent's node: its certificate must be that node's");
  agent_call_cmd->add_flag("--hold", agent_call_options.hold,
                           "apply: keep the step, renewing the lease, until SIGINT or SIGTERM");

  auto* doctor =
      app.add_subcommand("doctor", "probe which traffic-control pieces this kernel offers");
  auto* schema = app.add_subcommand(
      "schema", "print the JSON Schema of experiment files, for editors (taplo, Even Better TOML)");

  std::string override_file, override_output;
  std::vector<std::string> override_regions;
  compose::OverrideOptions override_options;
  auto* compose_override = app.add_subcommand(
      "compose-override",
      "write a compose override that places an existing compose file's services into regions");
  compose_override->add_option("compose_file", override_file, "the stack's compose file")
      ->required();
  compose_override
      ->add_option("--region", override_regions,
                   "SERVICE=REGION[:HOST]: the region a service runs in and the experiment's host "
                   "it is (default: its name); one for every service")
      ->required()
      ->allow_extra_args(false);  // one value each, so the file may come last
  compose_override->add_option("-o,--output", override_output,
                               "where to write it (default: stdout)");
  compose_override
      ->add_option("--image", override_options.image,
                   "the image of the gateways and clients it adds")
      ->capture_default_str();
  compose_override
      ->add_option("--subnet-offset", override_options.subnet_offset,
                   "region i gets 198.18.(N+i).0/24, the WAN 198.19.N.0/24: another stack on "
                   "the same daemon needs other subnets")
      ->capture_default_str();

  app.set_version_flag("--version", std::string("faultline ") + faultline::version() + " (commit " +
                                        faultline::commit() + ")");
  // CLI11 would take an unknown word for a stray argument and answer "A
  // subcommand is required", or print the main help for `faultline typo
  // --help`: name the word and the nearest command instead.
  if (auto unknown = unknown_subcommand(app, argc, argv)) {
    std::vector<std::string> names;
    for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
    std::cerr << "faultline: '" << *unknown << "' is not a faultline command";
    if (auto near = nearest(*unknown, names)) std::cerr << "; did you mean '" << *near << "'?";
    std::cerr << " (commands: " << listed(names, false) << "; faultline --help says more)\n";
    return kExitBadInput;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : kExitBadInput;
  }
  if (verbose) spdlog::set_level(spdlog::level::debug);
  for (const auto& v : var_args) {
    const auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "faultline: --var takes NAME=VALUE, got '" << v << "'\n";
      return kExitBadInput;
    }
    vars[v.substr(0, eq)] = v.substr(eq + 1);
  }

  try {
    if (*validate) {
      int code = 0;
      for (const auto& file : validate_files) {
        try {
          Experiment e = load_experiment(file, resolve_program, vars);
          std::cout << file << ": ok (" << e.regions.size() << " regions, " << e.faults.size()
                    << " faults, " << e.invariants.size() << " invariants)\n";
        } catch (const ExperimentError& err) {
          std::cerr << err.what() << "\n";
          code = kExitBadInput;
        }
      }
      return code;
    }
    if (*check) {
      if (!std::filesystem::is_directory(check_dir))
        return check_history_file(check_dir, check_invariants);
      return check_stored_run(check_dir, write_reports);
    }
    if (*compose_override)
      return write_compose_override(override_file, override_regions, override_output,
                                    override_options);
    if (*schema) {
      std::cout << experiment_schema().dump(2) << "\n";
      return 0;
    }
    if (*export_cmd) {
      auto history = read_history(export_dir + "/history.jsonl");
      auto [all, txns] = write_edn(history, export_dir);
      std::cout << "wrote " << export_dir << "/history.edn (" << all << " operations) and "
                << export_dir << "/history-elle.edn (" << txns << " reads and writes)\n";
      return 0;
    }
    if (*certs) return agent::make_certs_command(certs_dir, certs_agents, certs_days);
    if (*agent_call_cmd) return agent::agent_call(agent_call_options);
    if (*recover) {
      if (!running_as_root()) {
        std::cerr << "faultline: recover deletes namespaces and enters containers and needs root: "
                     "sudo faultline recover\n";
        return kExitBadInput;
      }
      RecoveryOutcome out = recover_dead_runs(recover_state_dir);
      if (recover_provider == "swarm") {
        try {
          for (auto& line : swarm::SwarmProvider::sweep_nodes(swarm::swarm_options(recover_swarm)))
            out.lines.push_back(std::move(line));
        } catch (const std::exception& e) {
          out.problems.push_back(std::string("swarm: ") + e.what());
        }
      }
      for (const auto& line : out.lines) std::cout << "  " << line << "\n";
      for (const auto& line : out.problems) std::cerr << "faultline: could not recover: " << line << "\n";
      std::cout << "recover: " << out.dead_runs << " dead run(s) cleaned up, " << out.live_runs
                << " live run(s) left alone" << (out.problems.empty() ? "" : ", with problems")
                << "\n";
      return out.problems.empty() ? 0 : 1;
    }
    if (*shrink) {
      const auto limit = parse_duration(shrink_time);
      if (!limit || limit->count() <= 0) {
        std::cerr << "faultline: --max-time takes a duration such as \"30m\", got '"
                  << shrink_time << "'\n";
        return kExitBadInput;
      }
      if (!running_as_root()) {
        std::cerr << "faultline: shrink runs the experiment again and needs root: sudo faultline "
                     "shrink " << shrink_command.results_dir << "\n";
        return kExitBadInput;
      }
      shrink_command.max_time = *limit;
      return shrink_run(shrink_command);
    }
    if (*doctor) {
      if (!running_as_root()) {
        std::cerr << "faultline: doctor probes the kernel in a scratch network namespace and needs "
                     "root: sudo faultline doctor\n";
        return kExitBadInput;
      }
      return print_doctor_report(injector::probe_capabilities());
    }

    // A provider that does not start the services (a compose stack runs its
    // own images) needs no program of the file on this machine.
    const ProgramResolver any_program = [](const std::string& program, const std::string&) {
      return std::optional<std::string>(program);
    };
    const ProviderKind& provider = provider_kind(run_options.provider);
    const ProgramResolver resolver =
        provider.starts_services ? ProgramResolver(resolve_program) : any_program;
    if (*seed_option) repeat.seed = seed;
    auto lacks_privileges = [&] {
      if (run_options.dry_run) return false;
      const auto missing = injector::missing_privileges(injector::effective_capabilities(),
                                                        !provider.starts_services);
      if (missing.empty()) return false;
      std::cerr << "faultline: " << injector::describe_missing(missing, argv[0])
                << " (--dry-run shows the plan without privileges)\n";
      return true;
    };
    const SuiteFiles files = suite_files(run_args);
    for (const auto& problem : files.problems) std::cerr << problem << "\n";
    if (!files.problems.empty()) return kExitBadInput;
    if (files.suite) {
      if (repeat.times > 1) {
        std::cerr << "faultline: --repeat runs one experiment many times and a suite runs "
                     "several once each; repeat one file at a time (faultline run FILE --repeat "
                  << repeat.times << ")\n";
        return kExitBadInput;
      }
      const auto suite = load_suite(files.files, resolver, vars, repeat.seed);
      if (!suite) return kExitBadInput;
      if (lacks_privileges()) return kExitBadInput;
      return run_suite(*suite, run_options);
    }
    const std::string run_file = files.files.at(0);
    Experiment experiment = load_experiment(run_file, resolver, vars, repeat.seed);
    if (lacks_privileges()) return kExitBadInput;
    if (repeat.times > 1 && !run_options.dry_run)
      return run_repeatedly(run_file, resolver, vars, repeat, run_options);
    return run_experiment(experiment, run_options);
  } catch (const ExperimentError& err) {
    std::cerr << err.what() << "\n";
    return kExitBadInput;
  } catch (const CapabilityError& err) {
    std::cerr << "faultline: " << err.what() << "\n";
    return kExitBadInput;
  } catch (const TargetError& err) {
    std::cerr << "faultline: the system under test could not be started: " << err.what()
              << "\n  (nothing was judged; everything the run created was removed)\n";
    return kExitTargetFailed;
  } catch (const Interrupted&) {
    std::cerr << "faultline: interrupted; every fault reverted, every service stopped, every "
                 "namespace deleted\n";
    return kExitInterrupted;
  } catch (const std::exception& err) {
    std::cerr << "faultline: internal error: " << err.what()
              << " (everything the run created was removed)\n";
    return kExitInternal;
  }
}
