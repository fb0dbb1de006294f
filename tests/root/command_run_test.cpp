// A command fault's program, run for real in a namespace the test creates:
// in that namespace, as the user asked, its output and exit captured, and
// killed with everything it started at its timeout.
#include "controllers/run/command_run.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "injector/network_namespace.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {

std::string log_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("faultline-command-" + std::to_string(::getpid()) + "-" + name + ".log"))
      .string();
}

// Whether `pid` is gone (or a zombie nobody has reaped yet: dead all the same).
bool dead(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return true;
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  const auto close = stat.rfind(')');
  return close != std::string::npos && stat[close + 2] == 'Z';
}

}  // namespace

TEST_CASE("a command runs in its host's namespace as its user, and reports exit and output",
          "[root][command]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-cmd");
  struct stat st {};
  REQUIRE(::stat(("/run/netns/" + ns.name()).c_str(), &st) == 0);
  const std::string log = log_path("exit");
  const CommandOutcome outcome = run_command(
      {.argv = {"/bin/sh", "-c", "readlink /proc/self/ns/net; id -un; echo oops >&2; exit 3"},
       .user = "nobody",
       .timeout = 10s,
       .log_path = log,
       .label = "fault 0 (command)"},
      ns.fd());
  CHECK(outcome.exit == 3);
  CHECK(outcome.ended == "exit status 3");
  CHECK_FALSE(outcome.timed_out);
  CHECK(outcome.output == "net:[" + std::to_string(st.st_ino) + "]\nnobody\noops\n");
  const StepReport report = command_report(outcome, "the command");
  CHECK(report.value["exit"] == 3);
  CHECK(report.failure == "the command failed: exit status 3");
  std::filesystem::remove(log);
}

TEST_CASE("a command still running at its timeout is killed with what it started",
          "[root][command]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-cmd");
  const std::string log = log_path("timeout");
  const auto start = std::chrono::steady_clock::now();
  const CommandOutcome outcome = run_command({.argv = {"/bin/sh", "-c", "sleep 30 & echo $!; wait"},
                                              .user = "root",
                                              .timeout = 300ms,
                                              .log_path = log,
                                              .label = "fault 1 (command)"},
                                             ns.fd());
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(outcome.timed_out);
  CHECK_FALSE(outcome.exit.has_value());
  CHECK(outcome.ended.rfind("killed by signal 9", 0) == 0);
  CHECK(took >= 300ms);
  CHECK(took < 3s);
  // The background sleep was in the command's process group: gone too.
  const pid_t sleeper = std::stoi(outcome.output);
  bool gone = false;
  for (int i = 0; i < 100 && !(gone = dead(sleeper)); ++i) std::this_thread::sleep_for(10ms);
  CHECK(gone);
  CHECK(command_report(outcome, "the command").failure ==
        "the command was still running at its timeout of 300ms: killed with its process group");
  std::filesystem::remove(log);
}

TEST_CASE("a command keeps the first 4 KiB of its output; the log keeps the rest",
          "[root][command]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-cmd");
  const std::string log = log_path("long");
  const CommandOutcome outcome =
      run_command({.argv = {"/bin/sh", "-c",
                            "i=0; while [ $i -lt 1000 ]; do echo 0123456789; "
                            "i=$((i+1)); done"},
                   .user = "nobody",
                   .timeout = 10s,
                   .log_path = log,
                   .label = "fault 2 (command)"},
                  ns.fd());
  CHECK(outcome.exit == 0);
  CHECK(command_report(outcome, "the command").value["output"].get<std::string>().size() ==
        kCommandOutputLimit);
  CHECK(std::filesystem::file_size(log) == 11000);
  std::filesystem::remove(log);
}

TEST_CASE("a command's user this machine lacks is refused by name", "[root][command]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-cmd");
  CHECK_THROWS_WITH(run_command({.argv = {"/bin/true"},
                                 .user = "no-such-user-fl",
                                 .log_path = log_path("user"),
                                 .label = "fault 3 (command)"},
                                ns.fd()),
                    "fault 3 (command): no user 'no-such-user-fl' on this machine; create it or "
                    "choose another 'user'");
}
