#pragma once
// One service of the system under test, running in a host's namespace.
//
// Started with Boost.Process from an argv array (never a shell). In the child,
// before exec: into the service's cgroup (see injector/cgroup.hpp), setns(2)
// into the host's network namespace, a process group of its own (so the
// terminal's Ctrl-C reaches the controller, which then stops services in
// order), PR_SET_PDEATHSIG so it dies with a killed controller, and
// stdout/stderr appended to a log in the results directory.
//
// The cgroup is what holds the service: every process it starts, however it
// detaches (setsid, a double fork, a daemon's pidfile dance), is a member,
// and kill, pause and stop act on all of them. Where the machine offers no
// cgroup v2 hierarchy, the process group stands in, with a warning.
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controllers/services/log_pump.hpp"
#include "controllers/services/service.hpp"
#include "injector/cgroup.hpp"
#include "injector/network_namespace.hpp"

namespace boost::process {
class child;
}

namespace faultline {

class ServiceProcess : public Service {
 public:
  ServiceProcess(std::string label, std::string program, std::vector<std::string> args,
                 const injector::NamespaceFd& netns, std::string log_path);
  ~ServiceProcess() override;
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Before start(): run as this user (its uid, gid, no supplementary groups)
  // instead of the controller's; throws for a user this machine lacks.
  void run_as(const std::string& user);
  // Before start(): an environment variable on top of the controller's.
  void set_env(const std::string& name, const std::string& value);
  // Before start(): the cgroup (relative to the v2 hierarchy) that holds it,
  // e.g. "faultline/<run>/app-us-east-1".
  void contain_in(std::string cgroup);
  // Before start(): how large its log may grow (see log_pump.hpp).
  void limit_log(std::uint64_t bytes) { log_limit_ = bytes; }
  uid_t uid() const { return uid_; }
  gid_t gid() const { return gid_; }

  void start() override;
  void kill() override;    // SIGKILL, no goodbye: a crashed process
  void pause() override;   // SIGSTOP: a hung process
  void resume() override;  // SIGCONT
  // SIGTERM, then SIGKILL after a grace period. Idempotent.
  void stop() noexcept override;
  // While any process of the service lives: a server that daemonizes runs on
  // after the process faultline started has exited.
  bool running() override;
  std::string exit_status() override;
  // Once the process faultline started has exited by itself: its status.
  // Nothing while it runs, or when a signal ended it.
  std::optional<int> exit_code();
  pid_t pid() const;
  const std::string& label() const override { return label_; }
  const std::string& log_path() const override { return log_path_; }

 private:
  void reap();

  std::string label_;
  std::string program_;
  std::vector<std::string> args_;
  const injector::NamespaceFd& netns_;
  std::string log_path_;
  std::unique_ptr<boost::process::child> child_;
  bool paused_ = false;
  uid_t uid_ = static_cast<uid_t>(-1);  // -1: the controller's
  gid_t gid_ = static_cast<gid_t>(-1);
  std::vector<std::pair<std::string, std::string>> env_;
  std::string cgroup_name_;
  std::uint64_t log_limit_ = 64ULL << 20;
  std::vector<std::unique_ptr<LogPump>> pumps_;  // one per start; the last is current
  std::optional<injector::Cgroup> cgroup_;
};

}  // namespace faultline
