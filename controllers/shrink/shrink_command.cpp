#include "controllers/shrink/shrink_command.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/schedule_toml.hpp"
#include "controllers/report/verdict.hpp"
#include "controllers/run/interrupt.hpp"
#include "controllers/shrink/shrink_search.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

std::string faults_text(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " fault" : " faults");
}

using SteadyClock = std::chrono::steady_clock;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The invariants a stored run found violated, in the verdict's order.
std::vector<std::string> violated_in(const fs::path& verdict_file) {
  std::vector<std::string> out;
  std::ifstream in(verdict_file);
  const auto verdict = nlohmann::json::parse(in, nullptr, false);
  if (verdict.is_discarded() || !verdict.contains("invariants")) return out;
  for (const auto& inv : verdict["invariants"])
    if (inv.value("result", "") == "violated") out.push_back(inv.value("invariant", ""));
  return out;
}

// The candidate as a file: the stored schedule with its faults and duration
// replaced.
toml::table candidate_document(const toml::table& base, const Schedule& s) {
  toml::table doc = base;
  if (toml::table* experiment = doc["experiment"].as_table())
    experiment->insert_or_assign("duration", format_duration(s.duration));
  toml::array faults;
  for (const auto& f : s.faults) faults.push_back(f);
  if (faults.empty())
    doc.erase("fault");
  else
    doc.insert_or_assign("fault", faults);
  return doc;
}

// `faultline run` on one candidate, as a child process with its output in
// `log`; returns its exit code, or -1 when it could not be started. SIGINT
// reaches the child from the terminal; one sent to this process alone is
// passed on, and the child cleans up before it exits.
int run_child(const std::string& candidate, const fs::path& results, std::uint64_t seed,
              const fs::path& log) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string seed_text = std::to_string(seed);
  const std::string results_text = results.string();
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
    }
    const char* argv[] = {self.c_str(), "run", "--results", results_text.c_str(), "--seed",
                          seed_text.c_str(), candidate.c_str(), nullptr};
    ::execv(self.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  bool passed_on = false;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (interrupt_requested() && !passed_on) {
      ::kill(pid, SIGINT);
      passed_on = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return kExitInternal;
}

std::string outcome_name(Outcome o) {
  switch (o) {
    case Outcome::fails:
      return "still fails";
    case Outcome::passes:
      return "passes";
    case Outcome::invalid:
      return "not a valid experiment (not run)";
    case Outcome::stop:
      return "stopped";
  }
  return "?";
}

}  // namespace

int shrink_run(const ShrinkCommand& command) {
  const fs::path dir = command.results_dir;
  const fs::path schedule_file = dir / "schedule.toml";
  if (!fs::is_regular_file(schedule_file) || !fs::is_regular_file(dir / "verdict.json")) {
    std::cerr << "faultline: " << dir.string()
              << ": no schedule.toml and verdict.json: shrink takes the results folder of a "
                 "finished `faultline run`\n";
    return kExitBadInput;
  }
  // Which failure to keep, and with which seed.
  std::ifstream verdict_in(dir / "verdict.json");
  const auto verdict = nlohmann::json::parse(verdict_in, nullptr, false);
  const std::uint64_t seed = verdict.is_discarded() ? 0 : verdict.value("seed", std::uint64_t{0});
  const std::vector<std::string> violated = violated_in(dir / "verdict.json");
  std::string target = command.invariant;
  if (target.empty() && !violated.empty()) target = violated.front();
  if (target.empty() ||
      std::find(violated.begin(), violated.end(), target) == violated.end()) {
    std::cerr << "faultline: " << (dir / "verdict.json").string() << ": "
              << (target.empty() ? std::string("no invariant was violated")
                                 : "invariant " + target + " was not violated")
              << ": shrink starts from a failing run\n";
    return kExitBadInput;
  }
  toml::table base;
  try {
    base = toml::parse(read_text(schedule_file), schedule_file.string());
  } catch (const toml::parse_error& err) {
    std::cerr << "faultline: " << schedule_file.string() << ": " << err.description() << "\n";
    return kExitBadInput;
  }
  Schedule start;
  const Experiment original = load_experiment(schedule_file.string(), resolve_program, {}, seed);
  start.duration = original.duration;
  if (const toml::array* faults = base["fault"].as_array())
    for (const auto& f : *faults)
      if (const toml::table* t = f.as_table()) start.faults.push_back(*t);

  const fs::path work = dir / "shrink";
  fs::create_directories(work);
  fs::permissions(work, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
  const fs::path minimal = dir / "minimal.toml";
  std::cout << "shrink: " << start.faults.size() << " faults, " << format_duration(start.duration)
            << ", seed " << seed << ", keeping: " << target << " violated\n";

  install_interrupt_handlers();
  const auto began = SteadyClock::now();
  int candidate_number = 0;
  std::string broken;  // why a candidate could not be judged, which stops the search
  auto write_minimal = [&](const Schedule& s, int runs) {
    std::ofstream(minimal) << render_document(
        candidate_document(base, s),
        "Shrunk by faultline from " + schedule_file.string() + " (" +
            std::to_string(start.faults.size()) + " faults) after " + std::to_string(runs) +
            " runs: " + faults_text(s.faults.size()) + ", still violating " + target +
            "\nwith seed " + std::to_string(seed) + ". Replay: faultline run " + minimal.string());
  };
  ShrinkOptions options;
  options.max_runs = command.max_runs;
  for (const auto& region : original.regions) options.regions.push_back(region.name);
  options.out_of_time = [&] {
    return interrupt_requested() || SteadyClock::now() - began >= command.max_time;
  };
  options.on_step = [&](const ShrinkStep& step) {
    std::cout << "  run " << step.run << ": " << step.change << ": " << outcome_name(step.outcome)
              << " (best: " << faults_text(step.best->faults.size()) << ", "
              << format_duration(step.best->duration) << ")\n"
              << std::flush;
  };
  options.on_better = write_minimal;
  const auto test = [&](const Schedule& s) -> Outcome {
    if (interrupt_requested()) return Outcome::stop;
    const std::string name = "candidate-" + std::to_string(++candidate_number);
    const fs::path file = work / (name + ".toml");
    std::ofstream(file) << render_document(candidate_document(base, s), "a shrink candidate");
    try {
      load_experiment(file.string(), resolve_program, {}, seed);
    } catch (const ExperimentError&) {
      return Outcome::invalid;
    }
    const fs::path results = work / name;
    fs::create_directories(results);
    fs::permissions(results, fs::perms::owner_all | fs::perms::group_read |
                                 fs::perms::group_exec | fs::perms::others_read |
                                 fs::perms::others_exec);
    const fs::path log = work / (name + ".log");
    const int code = run_child(file.string(), results, seed, log);
    if (code == kExitInterrupted || interrupt_requested()) return Outcome::stop;
    // A run that ended without a verdict (its target did not start, faultline
    // could not run, an internal error) says nothing of the invariant: taken
    // for a pass it would drop a fault that mattered.
    if (code != kExitHolds && code != kExitViolated && code != kExitUnknown) {
      broken = name + " ended with exit " + std::to_string(code) + ", not a verdict: see " +
               log.string();
      return Outcome::stop;
    }
    for (const auto& entry : fs::directory_iterator(results))
      if (entry.is_directory()) {
        const auto found = violated_in(entry.path() / "verdict.json");
        return std::find(found.begin(), found.end(), target) != found.end() ? Outcome::fails
                                                                           : Outcome::passes;
      }
    return Outcome::passes;
  };
  write_minimal(start, 0);
  const ShrinkResult result = Shrinker(start, test, options).run();
  write_minimal(result.best, result.runs);
  const auto took = std::chrono::duration_cast<std::chrono::seconds>(SteadyClock::now() - began);
  std::cout << "shrink: " << start.faults.size() << " faults -> " << result.best.faults.size()
            << " in " << result.runs << " runs (" << took.count() << " s)"
            << (result.one_minimal ? ", 1-minimal: no single fault can be removed"
                                   : ", not shown 1-minimal (budget or interrupt)")
            << "\n  wrote " << minimal.string() << "\n";
  if (!broken.empty()) {
    std::cerr << "faultline: shrink stopped: " << broken
              << "; minimal.toml holds the best schedule before it\n";
    return kExitInternal;
  }
  return interrupt_requested() ? kExitInterrupted : 0;
}

}  // namespace faultline
