#include "controllers/services/service_process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
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

void ServiceProcess::start() {
  if (child_ && child_->running()) return;
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw std::runtime_error("cannot open " + log_path_ + ": " + std::strerror(errno));
  try {
    child_ =
        std::make_unique<bp::child>(bp::exe = program_, bp::args = args_, bp::std_in < bp::null,
                                    EnterHost{{}, netns_.get(), log_fd});
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
