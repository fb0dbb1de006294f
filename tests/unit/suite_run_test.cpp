#include "controllers/run/suite_run.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "controllers/report/junit.hpp"
#include "controllers/run/repeat_run.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

CheckResult result(const std::string& invariant, Validity validity) {
  CheckResult r;
  r.invariant = invariant;
  r.validity = validity;
  r.summary = invariant + " summary";
  return r;
}

SuiteEntry judged(const std::string& name, std::vector<CheckResult> results, int exit_code) {
  SuiteEntry e{.file = "suite/" + name + ".toml", .experiment = name};
  e.status = SuiteStatus::judged;
  e.exit_code = exit_code;
  e.verdict.experiment = name;
  e.verdict.results = std::move(results);
  e.seconds = 6.25;
  e.results_dir = "/r/" + name + "-1";
  return e;
}

// The suite the e2e test runs, plus a run whose target did not start and
// one the suite never reached.
std::vector<SuiteEntry> sample_suite() {
  auto target = SuiteEntry{.file = "suite/d.toml", .experiment = "d-target"};
  target.status = SuiteStatus::error;
  target.exit_code = kExitTargetFailed;
  target.error = "the system under test could not be started: app@us <exited 1>";
  target.seconds = 1.5;
  target.results_dir = "/r/d-target-1";  // its services' logs say why
  return {
      judged("a-holds",
             {result("convergence", Validity::holds), result("no-lost-writes", Validity::holds)},
             kExitHolds),
      judged("b-violated",
             {result("convergence", Validity::violated), result("no-lost-writes", Validity::holds),
              result("read-your-writes", Validity::unknown)},
             kExitViolated),
      judged("c-unknown", {result("no-lost-writes", Validity::unknown)}, kExitUnknown), target,
      SuiteEntry{.file = "suite/e.toml", .experiment = "e-never"}};
}

struct Outcome {
  int code = -1;
  std::string output;
};

Outcome run_faultline(const std::string& args) {
  Outcome out;
  FILE* pipe = ::popen((std::string(FAULTLINE_BINARY) + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) out.output += buf.data();
  const int status = ::pclose(pipe);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a suite's exit code is its worst run's: 1 over 2 over 0, 130 when interrupted",
          "[suite]") {
  auto code = [](std::vector<int> codes) {
    std::vector<SuiteEntry> entries;
    for (int c : codes) {
      SuiteEntry e;
      e.status = SuiteStatus::judged;
      e.exit_code = c;
      entries.push_back(e);
    }
    return suite_exit_code(entries);
  };
  CHECK(code({}) == kExitHolds);
  CHECK(code({0, 0}) == kExitHolds);
  CHECK(code({0, 2, 0}) == kExitUnknown);
  CHECK(code({2, 1, 0}) == kExitViolated);
  CHECK(code({0, 3, 2}) == kExitTargetFailed);
  CHECK(code({3, 1}) == kExitViolated);
  CHECK(code({1, 254}) == kExitBadInput);
  CHECK(code({255, 1, 254}) == kExitInternal);
  CHECK(worse_exit_code(kExitUnknown, kExitHolds) == kExitUnknown);
  CHECK(worse_exit_code(kExitUnknown, kExitViolated) == kExitViolated);

  auto entries = sample_suite();
  CHECK(suite_exit_code(entries) == kExitViolated);  // the never-run one does not count
  entries[3].status = SuiteStatus::interrupted;
  entries[3].exit_code = kExitInterrupted;
  CHECK(suite_exit_code(entries) == kExitInterrupted);
  entries[0].exit_code = kExitInternal;  // interrupted wins: the suite's verdict is not whole
  CHECK(suite_exit_code(entries) == kExitInterrupted);
}

TEST_CASE("the suite's table: a line per experiment, what failed, the counts", "[suite]") {
  const auto entries = sample_suite();
  CHECK(suite_verdict(entries[0]) == "PASS");
  CHECK(suite_verdict(entries[1]) == "FAIL");
  CHECK(suite_verdict(entries[2]) == "UNKNOWN");
  CHECK(suite_verdict(entries[3]) == "ERROR");
  CHECK(suite_verdict(entries[4]) == "not run");
  const std::string table = render_suite_table(entries, suite_exit_code(entries));
  INFO(table);
  std::istringstream lines(table);
  std::string line;
  std::vector<std::string> all;
  while (std::getline(lines, line)) all.push_back(line);
  REQUIRE(all.size() == 7);
  CHECK(all[0] ==
        "suite of 5 experiments: 1 passed, 1 failed, 1 unknown, 1 error, 1 not run => exit 1");
  CHECK(all[1].find("experiment  verdict  exit  invariants") != std::string::npos);
  CHECK(all[2].rfind("  a-holds     PASS     0     -   ", 0) == 0);
  CHECK(all[2].ends_with("   6.2 s  /r/a-holds-1"));
  CHECK(all[3].find("b-violated  FAIL     1     convergence; unknown: read-your-writes") !=
        std::string::npos);
  CHECK(all[4].find("c-unknown   UNKNOWN  2     unknown: no-lost-writes") != std::string::npos);
  CHECK(all[5].find("d-target    ERROR    3     (the system under test did not start)") !=
        std::string::npos);
  CHECK(all[5].ends_with("1.5 s  /r/d-target-1"));
  CHECK(all[6].find("e-never     not run  -") != std::string::npos);
  // Every column starts where its header does.
  const auto column = all[1].find("time");
  CHECK(all[2].substr(column, 5) == "6.2 s");
  CHECK(all[5].substr(column, 5) == "1.5 s");
}

TEST_CASE(
    "the suite's junit.xml: each run's testsuite, errors and skips for runs without a verdict",
    "[suite][junit]") {
  const auto entries = sample_suite();
  const std::string xml = render_suite_junit(entries);
  INFO(xml);
  CHECK(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"faultline\" "
                  "tests=\"8\" failures=\"3\" errors=\"1\" skipped=\"1\"",
                  0) == 0);
  CHECK(occurrences(xml, "<testsuite ") == 5);
  CHECK(occurrences(xml, "</testsuite>") == 5);
  CHECK(occurrences(xml, "<testsuites") == 1);
  // A judged run's element is the one its own junit.xml holds, with its file.
  CHECK(xml.find(render_junit_testsuite(entries[1].verdict, 6.25, {{"file", entries[1].file}})) !=
        std::string::npos);
  CHECK(xml.find("<testsuite name=\"faultline.b-violated\" tests=\"3\" failures=\"2\"") !=
        std::string::npos);
  CHECK(xml.find("<property name=\"file\" value=\"suite/b-violated.toml\"/>") != std::string::npos);
  CHECK(
      xml.find("<testsuite name=\"faultline.d-target\" tests=\"1\" failures=\"0\" errors=\"1\"") !=
      std::string::npos);
  CHECK(xml.find("<property name=\"results_dir\" value=\"/r/d-target-1\"/>") != std::string::npos);
  CHECK(xml.find("<error type=\"target-failed\" message=\"the system under test could not be "
                 "started: app@us &lt;exited 1&gt;\"/>") != std::string::npos);
  CHECK(xml.find("<testsuite name=\"faultline.e-never\" tests=\"1\" failures=\"0\" errors=\"0\" "
                 "skipped=\"1\"") != std::string::npos);
  CHECK(xml.find("<skipped message=\"not run: the suite was interrupted before it\"/>") !=
        std::string::npos);
}

TEST_CASE("a run's own junit.xml is its testsuite in a testsuites document", "[junit]") {
  const auto entries = sample_suite();
  const Verdict& v = entries[1].verdict;
  const std::string whole = render_junit(v);
  CHECK(whole.find(render_junit_testsuite(v, 0)) != std::string::npos);
  CHECK(whole.find("<testsuites name=\"faultline\" tests=\"3\" failures=\"2\" errors=\"0\"") !=
        std::string::npos);
  const JunitCounts counts = junit_counts(v);
  CHECK(counts.tests == 3);
  CHECK(counts.failures == 2);
  Verdict lenient = v;
  lenient.unknown_fails = false;
  CHECK(junit_counts(lenient).failures == 1);
  CHECK(junit_counts(lenient).skipped == 1);
}

TEST_CASE("a folder is its *.toml files, sorted; several files are a suite; one is not",
          "[suite]") {
  const fs::path dir =
      fs::temp_directory_path() / ("faultline-suite-test-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  fs::create_directories(dir / "empty");
  for (const char* name : {"b.toml", "a.toml", "notes.md", "sub/c.toml"})
    std::ofstream(dir / name) << "\n";

  const auto folder = suite_files({(dir).string()});
  CHECK(folder.suite);
  CHECK(folder.problems.empty());
  CHECK(folder.files ==
        std::vector<std::string>{(dir / "a.toml").string(), (dir / "b.toml").string()});

  const auto one = suite_files({(dir / "b.toml").string()});
  CHECK_FALSE(one.suite);
  CHECK(one.files.size() == 1);

  const auto two = suite_files({(dir / "b.toml").string(), (dir / "a.toml").string()});
  CHECK(two.suite);
  CHECK(two.files ==
        std::vector<std::string>{(dir / "b.toml").string(), (dir / "a.toml").string()});

  const auto empty = suite_files({(dir / "empty").string(), (dir / "a.toml").string()});
  REQUIRE(empty.problems.size() == 1);
  CHECK(empty.problems[0] == "faultline: " + (dir / "empty").string() +
                                 ": no *.toml experiment in this folder; name the experiment "
                                 "files, or a folder that holds them");
  fs::remove_all(dir);
}

TEST_CASE(
    "faultline run with a bad file among several refuses the suite, naming each, making nothing",
    "[suite][cli]") {
  const std::string suite = std::string(FAULTLINE_SOURCE_DIR) + "/tests/experiments/suite/";
  const std::string invalid = std::string(FAULTLINE_SOURCE_DIR) + "/tests/experiments/invalid/";
  const fs::path scratch =
      fs::temp_directory_path() / ("fl-suite-cli-" + std::to_string(::getpid()));
  const std::string where = "--results '" + (scratch / "results").string() + "' --state-dir '" +
                            (scratch / "state").string() + "' ";
  // Both bad files, each with its line; the good ones before and after are not run.
  auto bad =
      run_faultline("run " + where + suite + "a-holds.toml " + invalid + "unknown-key.toml " +
                    invalid + "negative-seed.toml " + suite + "c-unknown.toml");
  INFO(bad.output);
  CHECK(bad.code == 254);
  CHECK(bad.output.find(invalid + "unknown-key.toml:") != std::string::npos);
  CHECK(bad.output.find(invalid + "negative-seed.toml:") != std::string::npos);
  CHECK(bad.output.find("=== experiment") == std::string::npos);
  CHECK_FALSE(fs::exists(scratch));

  auto repeat = run_faultline("run " + where + "--repeat 2 " + suite + "a-holds.toml " + suite +
                              "c-unknown.toml");
  CHECK(repeat.code == 254);
  CHECK(repeat.output.rfind("faultline: --repeat runs one experiment many times and a suite", 0) ==
        0);
  CHECK_FALSE(fs::exists(scratch));

  // --var takes one value, so the files after it stay files; each must declare it.
  auto var = run_faultline("run --dry-run --var app_bug=none " + suite + "a-holds.toml " + suite +
                           "c-unknown.toml");
  CHECK(var.code == 254);
  CHECK(
      var.output.find(suite + "a-holds.toml:1:1: --var app_bug: the experiment has no variable") !=
      std::string::npos);

  // A dry run of a folder: each plan in turn, in the folder's order, nothing made.
  auto dry = run_faultline("run --dry-run " + suite);
  CHECK(dry.code == 0);
  const auto first = dry.output.find("=== experiment 1 of 3: " + suite + "a-holds.toml");
  const auto third = dry.output.find("=== experiment 3 of 3: " + suite + "c-unknown.toml");
  CHECK(first != std::string::npos);
  CHECK(third != std::string::npos);
  CHECK(first < third);
}
