#include "controllers/services/service_process.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "injector/cgroup.hpp"
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

namespace {
// Every process whose network namespace is the one at `netns_path`, by inode.
std::vector<pid_t> processes_in_netns(ino_t inode) {
  std::vector<pid_t> pids;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat((entry.path() / "ns" / "net").c_str(), &st) == 0 && st.st_ino == inode)
      pids.push_back(std::stoi(name));
  }
  return pids;
}
// Waits until the daemon's two sleeps run (the shells before them are gone).
std::vector<pid_t> daemon_sleeps(ino_t inode) {
  for (int i = 0; i < 500; ++i) {
    std::vector<pid_t> sleeps;
    const auto all = processes_in_netns(inode);
    for (pid_t pid : all) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      comm >> name;
      if (name == "sleep") sleeps.push_back(pid);
    }
    if (sleeps.size() == 2 && all.size() == 2) return sleeps;
    std::this_thread::sleep_for(10ms);
  }
  return processes_in_netns(inode);
}
bool frozen(const std::string& cgroup) {
  std::ifstream in(*injector::Cgroup::hierarchy() + "/" + cgroup + "/cgroup.events");
  for (std::string k, v; in >> k >> v;)
    if (k == "frozen") return v == "1";
  return false;
}
}  // namespace

TEST_CASE("a service that double-forks, calls setsid and ignores SIGTERM is held whole",
          "[root][service][cgroup]") {
  REQUIRE(injector::Cgroup::hierarchy());
  const std::string cgroup = "faultline/test-" + testing::unique_run_id() + "/daemon";
  auto log = std::filesystem::temp_directory_path() /
             ("faultline-daemon-" + std::to_string(::getpid()) + ".log");
  ino_t inode = 0;
  {
    auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-dmn");
    inode = netns_inode("/run/netns/" + ns.name());
    // What a daemonizing server does: fork, setsid, fork again, ignore TERM;
    // the process faultline started exits at once.
    const std::string script =
        "trap '' TERM; (setsid sh -c 'trap \"\" TERM; (trap \"\" TERM; exec sleep 300) & "
        "exec sleep 300' &) ; exit 0";
    ServiceProcess proc("daemon", "/bin/sh", {"-c", script}, ns.fd(), log.string());
    proc.contain_in(cgroup);
    proc.start();
    const auto detached = daemon_sleeps(inode);
    REQUIRE(detached.size() == 2);  // the setsid'd shell's sleeps, outside the first process group
    for (pid_t pid : detached) CHECK(::getsid(pid) != ::getsid(0));
    CHECK(proc.running());  // the first process exited; the service runs on

    proc.pause();
    CHECK(frozen(cgroup));
    proc.resume();
    CHECK_FALSE(frozen(cgroup));

    proc.kill();  // a kill fault reaches the detached ones
    CHECK(processes_in_netns(inode).empty());
    CHECK_FALSE(proc.running());

    proc.start();
    REQUIRE(daemon_sleeps(inode).size() == 2);
    const auto before = std::chrono::steady_clock::now();
    proc.stop();  // they ignore SIGTERM: the grace period, then the cgroup's kill
    CHECK(std::chrono::steady_clock::now() - before < 3s);
    CHECK(processes_in_netns(inode).empty());
  }
  // The namespace's name is gone and no process holds it: nothing keeps it alive.
  CHECK(processes_in_netns(inode).empty());
  CHECK_FALSE(std::filesystem::exists(*injector::Cgroup::hierarchy() + "/" + cgroup));
  injector::Cgroup::kill_tree(cgroup.substr(0, cgroup.rfind('/')));
  std::filesystem::remove(log);
}

TEST_CASE("recovery kills what a dead run's cgroups still hold and removes them",
          "[root][service][cgroup]") {
  REQUIRE(injector::Cgroup::hierarchy());
  const std::string run = "faultline/test-" + testing::unique_run_id();
  auto left = injector::Cgroup::create(run + "/app-us");
  // A process the dead run left: in the cgroup, in no namespace of ours.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    ::execl("/bin/sleep", "sleep", "300", nullptr);
    ::_exit(127);
  }
  std::ofstream(left.path() + "/cgroup.procs") << pid;
  CHECK(left.pids() == std::vector<pid_t>{pid});
  CHECK(injector::Cgroup::kill_tree(run) == 1);
  int status = 0;
  CHECK(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFSIGNALED(status));
  CHECK_FALSE(std::filesystem::exists(left.path()));
}

TEST_CASE("a service that writes without end fills its log only to the limit, the cut marked",
          "[root][service]") {
  auto ns = injector::NetworkNamespace::create("fl-" + testing::unique_run_id() + "-yes");
  auto log = std::filesystem::temp_directory_path() /
             ("faultline-yes-" + std::to_string(::getpid()) + ".log");
  std::filesystem::remove(log);
  constexpr std::uint64_t kLimit = 64 * 1024;
  {
    // A shell loop, not yes(1): the kernel lane's initramfs has only busybox.
    ServiceProcess proc("chatty", "/bin/sh",
                        {"-c", "while :; do echo a line the service repeats; done"}, ns.fd(),
                        log.string());
    proc.limit_log(kLimit);
    proc.start();
    std::this_thread::sleep_for(500ms);  // megabytes a second, even from a shell
    CHECK(proc.running());               // never blocked, never killed by the cap
    const auto size = std::filesystem::file_size(log);
    CHECK(size > kLimit);
    CHECK(size < kLimit + 512);  // the limit and the mark
    proc.stop();
  }
  std::ifstream in(log);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("[faultline: this log reached its limit of 65536 bytes (log_limit)") !=
        std::string::npos);
  CHECK(text.find(" bytes discarded in all]") != std::string::npos);
  std::filesystem::remove(log);
}
