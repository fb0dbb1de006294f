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

namespace faultline {

namespace bp = boost::process;

namespace {

// Runs in the forked child, before execve. Only async-signal-safe calls.
struct EnterHost : bp::extend::handler {
  int netns_fd;
  int log_fd;
  uid_t uid;
  gid_t gid;
  template <class Executor>
  void on_exec_setup(Executor&) const {
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

ServiceProcess::~ServiceProcess() { stop(); }

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

void ServiceProcess::start() {
  if (child_ && child_->running()) return;
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw std::runtime_error("cannot open " + log_path_ + ": " + std::strerror(errno));
  try {
    bp::environment env = boost::this_process::environment();
    for (const auto& [name, value] : env_) env[name] = value;
    child_ = std::make_unique<bp::child>(bp::exe = program_, bp::args = args_,
                                         bp::std_in < bp::null, bp::env = env,
                                         EnterHost{{}, netns_.get(), log_fd, uid_, gid_});
  } catch (const std::exception& e) {
    ::close(log_fd);
    throw std::runtime_error("cannot start " + label_ + " (" + program_ + "): " + e.what());
  }
  ::close(log_fd);
  paused_ = false;
}

pid_t ServiceProcess::pid() const { return child_ ? child_->id() : -1; }

bool ServiceProcess::running() { return child_ && child_->running(); }

void ServiceProcess::kill() {
  if (!running()) return;
  ::kill(-child_->id(), SIGKILL);  // the whole process group
  child_->wait();
  paused_ = false;
}

void ServiceProcess::pause() {
  if (!running()) return;
  ::kill(-child_->id(), SIGSTOP);
  paused_ = true;
}

void ServiceProcess::resume() {
  if (!child_) return;
  ::kill(-child_->id(), SIGCONT);
  paused_ = false;
}

void ServiceProcess::stop() noexcept {
  try {
    if (!child_ || !child_->running()) return;
    const pid_t group = child_->id();
    if (paused_) ::kill(-group, SIGCONT);
    ::kill(-group, SIGTERM);
    for (int i = 0; i < 30 && child_->running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (child_->running()) ::kill(-group, SIGKILL);
    child_->wait();
  } catch (...) {
    // running()/wait() throw only if the child is already gone.
  }
}

}  // namespace faultline
