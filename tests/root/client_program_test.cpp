// The exec client's program is born in the namespace of the thread that
// starts it (a session thread inside its region's client host), as the
// user asked for, and is gone when its owner is.
#include "controllers/workload/client_program.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "injector/network_namespace.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;
using namespace std::chrono_literals;

TEST_CASE("a client program starts in its thread's network namespace, as its user, and dies with its owner",
          "[root][exec]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-exec");
  const auto log = std::filesystem::temp_directory_path() /
                   ("faultline-exec-" + std::to_string(::getpid()) + ".log");
  std::string seen, expected, id;
  pid_t pid = -1;
  std::thread([&] {
    injector::enter_namespace(ns.fd());  // as a session thread does
    struct stat st {};
    ::stat("/proc/thread-self/ns/net", &st);
    expected = "net:[" + std::to_string(st.st_ino) + "]";
    ClientProgram program("/bin/sh", {"-c", "readlink /proc/self/ns/net; id -u; exec sleep 30"},
                          lookup_user("nobody"), log.string());
    pid = program.pid();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    REQUIRE(program.read_line(seen, deadline) == ClientProgram::Read::line);
    REQUIRE(program.read_line(id, deadline) == ClientProgram::Read::line);
  }).join();
  CHECK(seen == expected);
  CHECK(id == std::to_string(lookup_user("nobody").uid));
  CHECK(::kill(pid, 0) != 0);  // killed and reaped with its owner
  std::filesystem::remove(log);
}
