#include "controllers/services/service_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/env.hpp>
#include <boost/process/environment.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/io.hpp>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>
#include <sys/wait.h>

namespace faultline {

namespace bp = boost::process;

namespace {

// Runs in the forked child, before execve. Only async-signal-safe calls.
struct EnterHost : bp::extend::handler {
  int netns_fd;
  int log_fd;
  uid_t uid;
  gid_t gid;
  int cgroup_fd;  // the service cgroup's cgroup.procs, or -1
  template <class Executor>
  void on_exec_setup(Executor&) const {
    // First, while still root: everything it starts is born inside.
    if (cgroup_fd >= 0 && ::write(cgroup_fd, "0", 1) != 1) {
      const char msg[] = "faultline: cannot join the service's cgroup; not starting\n";
      ssize_t ignored = ::write(log_fd, msg, sizeof msg - 1);
      (void)ignored;
      ::_exit(126);
    }
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      // Never run a service in the wrong network: say why and give up.
      const char msg[] = "faultline: setns into the host namespace failed; not starting\n";
      ssize_t ignored = ::write(log_fd, msg, sizeof msg - 1);
      (void)ignored;
      ::_exit(126);
    }
    ::setpgid(0, 0);
    if (uid != static_cast<uid_t>(-1)) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
        const char msg[] = "faultline: cannot switch to the service's user; not starting\n";
        ssize_t ignored = ::write(log_fd, msg, sizeof msg - 1);
        (void)ignored;
        ::_exit(126);
      }
    }
    // After the user switch, which clears it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
  }
};

}  // namespace

ServiceProcess::ServiceProcess(std::string label, std::string program,
                               std::vector<std::string> args, const injector::NamespaceFd& netns,
                               std::string log_path)
    : label_(std::move(label)),
      program_(std::move(program)),
      args_(std::move(args)),
      netns_(netns),
      log_path_(std::move(log_path)) {}

ServiceProcess::~ServiceProcess() {
  stop();
  for (auto& pump : pumps_) pump->stop();
}

void ServiceProcess::run_as(const std::string& user) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    throw std::runtime_error("service " + label_ + ": no user '" + user +
                             "' on this machine; create it or choose another 'user'");
  uid_ = pw.pw_uid;
  gid_ = pw.pw_gid;
}

void ServiceProcess::set_env(const std::string& name, const std::string& value) {
  env_.emplace_back(name, value);
}

void ServiceProcess::contain_in(std::string cgroup) { cgroup_name_ = std::move(cgroup); }

void ServiceProcess::start() {
  if (running()) return;
  if (!cgroup_ && !cgroup_name_.empty()) {
    if (injector::Cgroup::hierarchy()) {
      cgroup_ = injector::Cgroup::create(cgroup_name_);
    } else {
      static bool warned = false;
      if (!warned)
        spdlog::warn("no cgroup v2 hierarchy here (none mounted, and none could be): services are "
                     "held by their process group, which a daemon that calls setsid leaves");
      warned = true;
    }
  }
  // The service writes into a pipe; a pump carries it to the log, up to
  // the limit. The write end goes to the child only.
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot start " + label_ + ": pipe: " + std::strerror(errno));
  const int log_fd = pipe_fds[1];
  auto pump = std::make_unique<LogPump>(pipe_fds[0], log_path_, log_limit_);
  try {
    bp::environment env = boost::this_process::environment();
    for (const auto& [name, value] : env_) env[name] = value;
    child_ = std::make_unique<bp::child>(bp::exe = program_, bp::args = args_,
                                         bp::std_in < bp::null, bp::env = env,
                                         EnterHost{{}, netns_.get(), log_fd, uid_, gid_,
                                                   cgroup_ ? cgroup_->procs_fd() : -1});
  } catch (const std::exception& e) {
    ::close(log_fd);
    pump->stop(0);
    throw std::runtime_error("cannot start " + label_ + " (" + program_ + "): " + e.what());
  }
  ::close(log_fd);
  pumps_.push_back(std::move(pump));
  paused_ = false;
}

pid_t ServiceProcess::pid() const { return child_ ? child_->id() : -1; }

bool ServiceProcess::running() {
  if ((child_ && child_->running()) || (cgroup_ && cgroup_->populated())) return true;
  // Gone: once the pump has carried its last words, the log is whole.
  if (!pumps_.empty()) pumps_.back()->stop(500);
  return false;
}

std::string ServiceProcess::exit_status() {
  if (!child_ || child_->running()) return "running";
  const int status = child_->native_exit_code();
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

std::optional<int> ServiceProcess::exit_code() {
  if (!child_ || child_->running()) return std::nullopt;
  const int status = child_->native_exit_code();
  if (!WIFEXITED(status)) return std::nullopt;
  return WEXITSTATUS(status);
}

// The child faultline started, reaped once it is gone.
void ServiceProcess::reap() {
  try {
    if (child_ && child_->valid()) child_->wait();
  } catch (...) {
    // wait() throws only if the child is already gone.
  }
}

void ServiceProcess::kill() {
  if (!running()) return;
  if (cgroup_) {
    cgroup_->kill();  // every member, however detached
  } else {
    ::kill(-child_->id(), SIGKILL);  // the whole process group
  }
  reap();
  paused_ = false;
}

void ServiceProcess::pause() {
  if (!running()) return;
  if (cgroup_)
    cgroup_->freeze(true);
  else
    ::kill(-child_->id(), SIGSTOP);
  paused_ = true;
}

void ServiceProcess::resume() {
  if (!child_) return;
  if (cgroup_)
    cgroup_->freeze(false);
  else
    ::kill(-child_->id(), SIGCONT);
  paused_ = false;
}

void ServiceProcess::stop() noexcept {
  try {
    if (!running()) return;
    if (paused_) resume();
    // SIGTERM to every member (a detached daemon too), a grace period, then
    // SIGKILL to whatever is left.
    if (cgroup_) {
      for (pid_t pid : cgroup_->pids()) ::kill(pid, SIGTERM);
    } else {
      ::kill(-child_->id(), SIGTERM);
    }
    for (int i = 0; i < 30 && running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (cgroup_)
      cgroup_->kill();
    else if (child_->running())
      ::kill(-child_->id(), SIGKILL);
    reap();
  } catch (const std::exception& e) {
    spdlog::error("stopping {}: {}", label_, e.what());
  }
}

}  // namespace faultline
