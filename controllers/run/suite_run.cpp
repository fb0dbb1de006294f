#include "controllers/run/suite_run.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "controllers/experiment/diagnostic.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/report/junit.hpp"
#include "controllers/run/interrupt.hpp"
#include "controllers/run/repeat_run.hpp"

namespace faultline {

namespace fs = std::filesystem;

SuiteFiles suite_files(const std::vector<std::string>& args) {
  SuiteFiles out;
  out.suite = args.size() > 1;
  for (const auto& arg : args) {
    std::error_code ec;
    if (!fs::is_directory(arg, ec)) {
      // A missing file is the parser's to name, as for a single run.
      out.files.push_back(arg);
      continue;
    }
    out.suite = true;
    std::vector<std::string> found;
    for (const auto& item : fs::directory_iterator(arg, ec))
      if (item.path().extension() == ".toml" && item.is_regular_file(ec))
        found.push_back(item.path().string());
    if (ec) {
      out.problems.push_back("faultline: " + arg + ": cannot list the folder (" + ec.message() +
                             "); name its experiment files instead");
      continue;
    }
    if (found.empty()) {
      out.problems.push_back("faultline: " + arg +
                             ": no *.toml experiment in this folder; name the experiment files, "
                             "or a folder that holds them");
      continue;
    }
    std::sort(found.begin(), found.end());
    out.files.insert(out.files.end(), found.begin(), found.end());
  }
  return out;
}

std::string suite_verdict(const SuiteEntry& entry) {
  switch (entry.status) {
    case SuiteStatus::judged:
      switch (entry.verdict.overall()) {
        case Validity::holds:
          return "PASS";
        case Validity::violated:
          return "FAIL";
        case Validity::unknown:
          return "UNKNOWN";
      }
      return "UNKNOWN";
    case SuiteStatus::error:
      return "ERROR";
    case SuiteStatus::interrupted:
      return "INTERRUPTED";
    case SuiteStatus::not_run:
      return "not run";
  }
  return "ERROR";
}

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The table's "invariants" column: the violated ones, then the unknown ones;
// for a run without a verdict, why.
std::string what_failed(const SuiteEntry& entry) {
  switch (entry.status) {
    case SuiteStatus::judged: {
      std::vector<std::string> violated, unknown;
      for (const auto& r : entry.verdict.results) {
        if (r.validity == Validity::violated) violated.push_back(r.invariant);
        if (r.validity == Validity::unknown) unknown.push_back(r.invariant);
      }
      std::string out = joined(violated);
      if (!unknown.empty())
        out += (out.empty() ? "" : "; ") + std::string("unknown: ") + joined(unknown);
      return out.empty() ? "-" : out;
    }
    case SuiteStatus::error:
      if (entry.exit_code == kExitTargetFailed) return "(the system under test did not start)";
      if (entry.exit_code == kExitBadInput) return "(refused: see its message above)";
      return "(internal error: see its message above)";
    case SuiteStatus::interrupted:
      return "(interrupted; reverted and torn down)";
    case SuiteStatus::not_run:
      return "-";
  }
  return "-";
}

std::string seconds_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", seconds);
  return buf;
}

std::string error_type(int exit_code) {
  switch (exit_code) {
    case kExitTargetFailed:
      return "target-failed";
    case kExitInterrupted:
      return "interrupted";
    case kExitBadInput:
      return "bad-input";
    default:
      return "internal-error";
  }
}

std::string padded(const std::string& text, std::size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

}  // namespace

std::string render_suite_table(const std::vector<SuiteEntry>& entries, int exit_code) {
  const std::vector<std::string> header{"experiment", "verdict", "exit",
                                        "invariants", "time",    "results"};
  std::vector<std::vector<std::string>> rows{header};
  for (const auto& e : entries) {
    const bool ran = e.status != SuiteStatus::not_run;
    rows.push_back({e.experiment, suite_verdict(e), ran ? std::to_string(e.exit_code) : "-",
                    what_failed(e), ran ? seconds_text(e.seconds) : "-",
                    e.results_dir.empty() ? "-" : e.results_dir});
  }
  std::vector<std::size_t> width(header.size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  // In the order a reader scans for trouble; a count only where it is not 0.
  const std::vector<std::pair<std::string, std::string>> words{{"PASS", "passed"},
                                                               {"FAIL", "failed"},
                                                               {"UNKNOWN", "unknown"},
                                                               {"ERROR", "errors"},
                                                               {"INTERRUPTED", "interrupted"},
                                                               {"not run", "not run"}};
  std::string counts;
  for (const auto& [verdict, word] : words) {
    const auto n = std::count_if(entries.begin(), entries.end(),
                                 [&](const SuiteEntry& e) { return suite_verdict(e) == verdict; });
    if (n > 0)
      counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " +
                (verdict == "ERROR" && n == 1 ? "error" : word);
  }
  std::ostringstream out;
  out << "suite of " << entries.size() << (entries.size() == 1 ? " experiment: " : " experiments: ")
      << counts << " => exit " << exit_code << "\n";
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i)
      line += "  " + (i + 1 == row.size() ? row[i] : padded(row[i], width[i]));
    out << line << "\n";
  }
  return out.str();
}

std::string render_suite_junit(const std::vector<SuiteEntry>& entries) {
  std::size_t tests = 0, failures = 0, errors = 0, skipped = 0;
  double seconds = 0;
  std::string suites;
  for (const auto& e : entries) {
    seconds += e.seconds;
    const std::vector<std::pair<std::string, std::string>> file{{"file", e.file}};
    if (e.status == SuiteStatus::judged) {
      const JunitCounts counts = junit_counts(e.verdict);
      tests += counts.tests;
      failures += counts.failures;
      skipped += counts.skipped;
      suites += render_junit_testsuite(e.verdict, e.seconds, file);
      continue;
    }
    // No verdict: one testcase for the run itself, so the CI report shows
    // the experiment and why it has no invariants.
    const std::string name = "faultline." + e.experiment;
    const bool ran = e.status != SuiteStatus::not_run;
    ++tests;
    (ran ? errors : skipped)++;
    std::ostringstream s;
    s << "  <testsuite name=\"" << xml_escape(name) << "\" tests=\"1\" failures=\"0\" errors=\""
      << (ran ? 1 : 0) << "\" skipped=\"" << (ran ? 0 : 1) << "\" time=\"" << e.seconds << "\">\n"
      << "    <properties>\n"
      << "      <property name=\"file\" value=\"" << xml_escape(e.file) << "\"/>\n"
      << "      <property name=\"commit\" value=\"" << xml_escape(commit_under_test()) << "\"/>\n";
    if (ran) s << "      <property name=\"exit_code\" value=\"" << e.exit_code << "\"/>\n";
    if (!e.results_dir.empty())
      s << "      <property name=\"results_dir\" value=\"" << xml_escape(e.results_dir) << "\"/>\n";
    s << "    </properties>\n"
      << "    <testcase classname=\"" << xml_escape(name) << "\" name=\"run\" time=\"" << e.seconds
      << "\">\n";
    if (ran)
      s << "      <error type=\"" << error_type(e.exit_code) << "\" message=\""
        << xml_escape(e.error) << "\"/>\n";
    else
      s << "      <skipped message=\"not run: the suite was interrupted before it\"/>\n";
    s << "    </testcase>\n  </testsuite>\n";
    suites += s.str();
  }
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"faultline\" tests=\"" << tests << "\" failures=\"" << failures
      << "\" errors=\"" << errors << "\" skipped=\"" << skipped << "\" time=\"" << seconds
      << "\">\n"
      << suites << "</testsuites>\n";
  return out.str();
}

int suite_exit_code(const std::vector<SuiteEntry>& entries) {
  int worst = kExitHolds;
  for (const auto& e : entries) {
    if (e.status == SuiteStatus::interrupted) return kExitInterrupted;
    if (e.status != SuiteStatus::not_run) worst = worse_exit_code(worst, e.exit_code);
  }
  return worst;
}

std::optional<std::vector<Experiment>> load_suite(const std::vector<std::string>& files,
                                                  const ProgramResolver& resolver,
                                                  const VarOverrides& vars,
                                                  std::optional<std::uint64_t> seed) {
  std::vector<Experiment> experiments;
  bool bad = false;
  for (const auto& file : files) {
    try {
      experiments.push_back(load_experiment(file, resolver, vars, seed));
    } catch (const ExperimentError& err) {
      std::cerr << err.what() << "\n";
      bad = true;
    }
  }
  if (bad) return std::nullopt;
  return experiments;
}

int run_suite(const std::vector<Experiment>& experiments, const RunOptions& options) {
  const std::size_t n = experiments.size();
  if (options.dry_run) {
    for (std::size_t i = 0; i < n; ++i) {
      std::cout << "=== experiment " << i + 1 << " of " << n << ": " << experiments[i].path << "\n";
      print_plan(experiments[i], options);
    }
    return kExitHolds;
  }
  // The provider's checks read the machine (users, paths, the Docker
  // daemon) and change nothing: all of them before the first run.
  bool refused = false;
  for (const auto& e : experiments) {
    try {
      provider_kind(options.provider).make(options)->preflight(e);
    } catch (const CapabilityError& err) {
      std::cerr << "faultline: " << err.what() << "\n";
      refused = true;
    }
  }
  if (refused) {
    std::cerr << "faultline: the suite did not start: no experiment was run\n";
    return kExitBadInput;
  }

  std::vector<SuiteEntry> entries;
  for (const auto& e : experiments) entries.push_back({.file = e.path, .experiment = e.name});
  // Ctrl-C between two runs stops the suite too, not the process.
  install_interrupt_handlers();
  bool interrupted = false;
  for (std::size_t i = 0; i < n && !interrupted && !interrupt_requested(); ++i) {
    SuiteEntry& entry = entries[i];
    std::cout << "=== experiment " << i + 1 << " of " << n << ": " << entry.file << "\n"
              << std::flush;
    const auto start = std::chrono::steady_clock::now();
    entry.status = SuiteStatus::error;
    RunOptions run_options = options;
    run_options.on_results_dir = [&entry](const std::string& dir) { entry.results_dir = dir; };
    try {
      const RunResult result = run_experiment_result(experiments[i], run_options);
      entry.status = SuiteStatus::judged;
      entry.exit_code = result.exit_code;
      entry.verdict = result.verdict;
      entry.results_dir = result.results_dir;
    } catch (const Interrupted&) {
      entry.status = SuiteStatus::interrupted;
      entry.exit_code = kExitInterrupted;
      entry.error = "interrupted by a signal; every fault reverted, every service stopped";
      interrupted = true;
    } catch (const TargetError& err) {
      std::cerr << "faultline: " << entry.file
                << ": the system under test could not be started: " << err.what()
                << "\n  (nothing was judged; everything the run created was removed)\n";
      entry.exit_code = kExitTargetFailed;
      entry.error = std::string("the system under test could not be started: ") + err.what();
    } catch (const CapabilityError& err) {
      std::cerr << "faultline: " << entry.file << ": " << err.what() << "\n";
      entry.exit_code = kExitBadInput;
      entry.error = err.what();
    } catch (const std::exception& err) {
      std::cerr << "faultline: " << entry.file << ": internal error: " << err.what()
                << " (everything the run created was removed)\n";
      entry.exit_code = kExitInternal;
      entry.error = std::string("internal error: ") + err.what();
    }
    entry.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  // A signal during a run's teardown, or between two runs, stops the suite
  // as well: what is left is not run, and the suite's verdict is not whole.
  const int code = interrupt_requested() ? kExitInterrupted : suite_exit_code(entries);
  if (interrupt_requested())
    std::cerr << "faultline: interrupted; every fault reverted, every service stopped, every "
                 "namespace deleted; the experiments after it were not run\n";
  std::cout << "\n" << render_suite_table(entries, code);
  const fs::path junit = fs::path(options.results_root) / "junit.xml";
  std::error_code ec;
  fs::create_directories(options.results_root, ec);
  std::ofstream out(junit);
  out << render_suite_junit(entries);
  out.close();
  if (!out)
    std::cerr << "faultline: could not write " << junit.string() << "\n";
  else
    std::cout << "  junit.xml: " << fs::absolute(junit).string() << "\n";
  return code;
}

}  // namespace faultline
