#include "controllers/run/repeat_run.hpp"

#include <iostream>
#include <map>

#include "controllers/providers/provider.hpp"
#include "controllers/report/verdict.hpp"
#include "controllers/run/interrupt.hpp"

namespace faultline {

namespace {

int severity(int code) {
  switch (code) {
    case kExitHolds:
      return 0;
    case kExitUnknown:
      return 1;
    case kExitTargetFailed:
      return 2;
    case kExitViolated:
      return 3;
    case kExitInterrupted:
      return 4;
    case kExitBadInput:
      return 5;
    default:
      return 6;
  }
}

}  // namespace

int worse_exit_code(int a, int b) { return severity(b) > severity(a) ? b : a; }

int worst_exit_code(const std::vector<RepeatedRun>& runs) {
  int worst = kExitHolds;
  for (const auto& r : runs) worst = worse_exit_code(worst, r.exit_code);
  return worst;
}

std::string summarize_repeats(const std::vector<RepeatedRun>& runs, int planned) {
  int failed = 0;
  std::map<std::string, std::vector<std::uint64_t>> by_invariant;  // sorted: a stable line
  std::map<int, std::vector<std::uint64_t>> other_codes;
  for (const auto& r : runs) {
    if (r.exit_code == kExitHolds) continue;
    ++failed;
    for (const auto& inv : r.violated) by_invariant[inv].push_back(r.seed);
    if (r.violated.empty()) other_codes[r.exit_code].push_back(r.seed);
  }
  auto seeds = [](const std::vector<std::uint64_t>& list) {
    std::string out;
    for (auto s : list) out += (out.empty() ? "" : ", ") + std::to_string(s);
    return (list.size() == 1 ? "seed " : "seeds ") + out;
  };
  auto runs_word = [](std::size_t n) { return std::to_string(n) + (n == 1 ? " run" : " runs"); };
  std::string out = (failed == 0 ? "passes " : "fails ") +
                    std::to_string(failed == 0 ? static_cast<int>(runs.size()) : failed) + " of " +
                    std::to_string(runs.size());
  if (static_cast<int>(runs.size()) < planned)
    out += " (stopped at the first failure of " + std::to_string(planned) +
           " planned; --keep-going runs them all)";
  std::string parts;
  for (const auto& [inv, list] : by_invariant)
    parts += (parts.empty() ? "" : "; ") + std::string("invariant ") + inv + " in " +
             runs_word(list.size()) + " (" + seeds(list) + ")";
  for (const auto& [code, list] : other_codes)
    parts += (parts.empty() ? "" : "; ") + std::string("exit ") + std::to_string(code) + " in " +
             runs_word(list.size()) + " (" + seeds(list) + ")";
  if (!parts.empty()) out += ": " + parts;
  return out;
}

int run_repeatedly(const std::string& file, const ProgramResolver& resolver,
                   const VarOverrides& vars, const RepeatOptions& repeat,
                   const RunOptions& options) {
  const std::uint64_t first =
      repeat.seed ? *repeat.seed : load_experiment(file, resolver, vars).seed;
  std::vector<RepeatedRun> runs;
  for (int i = 0; i < repeat.times; ++i) {
    const std::uint64_t seed = first + static_cast<std::uint64_t>(i);
    std::cout << "=== run " << i + 1 << " of " << repeat.times << ", seed " << seed << "\n"
              << std::flush;
    const Experiment e = load_experiment(file, resolver, vars, seed);
    RepeatedRun r;
    r.seed = seed;
    try {
      const RunResult result = run_experiment_result(e, options);
      r.exit_code = result.exit_code;
      r.violated = result.violated;
      r.results_dir = result.results_dir;
    } catch (const Interrupted&) {
      // What ran before the interrupt still counts; then the usual message.
      if (!runs.empty()) std::cout << summarize_repeats(runs, repeat.times) << "\n";
      throw;
    } catch (const TargetError& err) {
      std::cerr << "faultline: seed " << seed << ": the system under test could not be started: "
                << err.what() << "\n";
      r.exit_code = kExitTargetFailed;
    }
    runs.push_back(r);
    if (r.exit_code != kExitHolds && !repeat.keep_going) break;
  }
  std::cout << summarize_repeats(runs, repeat.times) << "\n";
  for (const auto& r : runs)
    if (r.exit_code != kExitHolds && !r.results_dir.empty())
      std::cout << "  seed " << r.seed << ": exit " << r.exit_code << ", " << r.results_dir << "\n";
  return worst_exit_code(runs);
}

}  // namespace faultline
