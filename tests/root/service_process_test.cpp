#include "controllers/services/service_process.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "injector/network_namespace.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;
using namespace std::chrono_literals;

namespace {
char state_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  return close == std::string::npos ? '?' : stat[close + 2];
}
ino_t netns_inode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_ino;
}
}  // namespace

TEST_CASE("a service runs in its host's namespace and obeys kill pause resume and stop",
          "[root][service]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-svc");
  auto log = std::filesystem::temp_directory_path() /
             ("faultline-svc-" + std::to_string(::getpid()) + ".log");
  ServiceProcess proc("sleeper", "/bin/sleep", {"30"}, ns.fd(), log.string());
  proc.start();
  REQUIRE(proc.running());
  const pid_t pid = proc.pid();
  CHECK(netns_inode("/proc/" + std::to_string(pid) + "/ns/net") ==
        netns_inode("/run/netns/" + ns.name()));
  CHECK(::getpgid(pid) == pid);  // its own process group

  proc.pause();
  std::this_thread::sleep_for(100ms);
  CHECK(state_of(pid) == 'T');
  proc.resume();
  std::this_thread::sleep_for(100ms);
  CHECK(state_of(pid) == 'S');

  proc.kill();
  CHECK_FALSE(proc.running());
  proc.start();
  CHECK(proc.running());
  CHECK(proc.pid() != pid);
  proc.stop();
  CHECK_FALSE(proc.running());
  proc.stop();  // idempotent
  std::filesystem::remove(log);
}

TEST_CASE("a service's output goes to its log appended across restarts", "[root][service]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-log");
  auto log = std::filesystem::temp_directory_path() /
             ("faultline-echo-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  ServiceProcess proc("echo", "/bin/echo", {"hello from the namespace"}, ns.fd(), log.string());
  proc.start();
  while (proc.running()) std::this_thread::sleep_for(10ms);
  proc.start();
  while (proc.running()) std::this_thread::sleep_for(10ms);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "hello from the namespace\nhello from the namespace\n");
  std::filesystem::remove(log);
}
