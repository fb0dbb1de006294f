#include "controllers/workload/client_program.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace faultline {

namespace {

using SteadyClock = std::chrono::steady_clock;

// What is left of the time to a deadline, for ppoll; zero once past.
timespec remaining(ClientProgram::Deadline deadline) {
  const auto left = std::max(SteadyClock::duration::zero(), deadline - SteadyClock::now());
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

// Waits for `events` on `fd` until the deadline; false when it passed.
bool wait_for(int fd, short events, ClientProgram::Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const timespec left = remaining(deadline);
    const int n = ::ppoll(&p, 1, &left, nullptr);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

void write_all_in_child(int fd, const char* text) {
  ssize_t ignored = ::write(fd, text, std::strlen(text));
  (void)ignored;
}

}  // namespace

ProgramUser lookup_user(const std::string& user) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr)
    throw std::runtime_error("the client's user '" + user +
                             "' does not exist on this machine; create it or choose another "
                             "[workload] user");
  return {pw.pw_uid, pw.pw_gid};
}

ClientProgram::ClientProgram(const std::string& program, const std::vector<std::string>& args,
                             ProgramUser user, const std::string& log_path) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  injector::FileDescriptor in_read(in[0]), in_write(in[1]);
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  injector::FileDescriptor out_read(out[0]), out_write(out[1]);
  injector::FileDescriptor log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log.valid())
    throw std::runtime_error("cannot open the client's log " + log_path + ": " + std::strerror(errno));

  // Everything the child needs is built before fork: after it, in a
  // multi-threaded parent, the child may only make async-signal-safe calls.
  std::vector<std::string> argv_text{program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // The session thread blocks SIGPIPE; the program starts with no mask.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    // Its own process group: the terminal's Ctrl-C goes to faultline, which
    // ends sessions in order; and killing the group takes what it started.
    ::setpgid(0, 0);
    if (::dup2(in_read.get(), STDIN_FILENO) < 0 || ::dup2(out_write.get(), STDOUT_FILENO) < 0 ||
        ::dup2(log.get(), STDERR_FILENO) < 0)
      ::_exit(126);
    if (user.uid != static_cast<uid_t>(-1) &&
        (::setgroups(0, nullptr) != 0 || ::setgid(user.gid) != 0 || ::setuid(user.uid) != 0)) {
      write_all_in_child(STDERR_FILENO, "faultline: cannot switch to the client's user; not starting\n");
      ::_exit(126);
    }
    // After the user switch, which clears it. It fires when the thread that
    // forked ends: the session's, which owns this program.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before the prctl
    ::syscall(SYS_close_range, 3U, ~0U, 0U);  // nothing of faultline's leaks in
    ::execve(argv[0], argv.data(), environ);
    write_all_in_child(STDERR_FILENO, "faultline: cannot execute the client program: ");
    write_all_in_child(STDERR_FILENO, std::strerror(errno));
    write_all_in_child(STDERR_FILENO, "\n");
    ::_exit(127);
  }
  // Non-blocking on faultline's side: every wait is a poll with a deadline.
  ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(out_read.get(), F_SETFL, O_NONBLOCK);
  to_program_ = std::move(in_write);
  from_program_ = std::move(out_read);
}

ClientProgram::~ClientProgram() { stop(std::chrono::milliseconds(200)); }

void ClientProgram::stop(std::chrono::milliseconds grace) noexcept {
  if (pid_ <= 0 || status_) return;
  // End of input first: a well-behaved program exits by itself on EOF.
  to_program_.reset();
  siginfo_t info{};
  for (auto waited = std::chrono::milliseconds(0); waited < grace;
       waited += std::chrono::milliseconds(5)) {
    info.si_pid = 0;
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid != 0)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Not yet reaped, so its process group id is still its own: anything it
  // started goes with it.
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = status;
}

bool ClientProgram::send(const std::string& line, Deadline deadline) {
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::write(to_program_.get(), line.data() + sent, line.size() - sent);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      if (!wait_for(to_program_.get(), POLLOUT, deadline)) return false;
      continue;
    }
    return false;  // EPIPE: it exited (SIGPIPE is blocked on this thread)
  }
  return true;
}

ClientProgram::Read ClientProgram::read_line(std::string& line, Deadline deadline) {
  char chunk[65536];
  for (;;) {
    if (const auto nl = buffer_.find('\n', scanned_); nl != std::string::npos) {
      line.assign(buffer_, 0, nl);
      buffer_.erase(0, nl + 1);
      scanned_ = 0;
      return Read::line;
    }
    scanned_ = buffer_.size();
    if (buffer_.size() > kMaxLine) {
      line = buffer_.substr(0, 200);
      buffer_.clear();
      scanned_ = 0;
      return Read::too_long;
    }
    const ssize_t n = ::read(from_program_.get(), chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      line = buffer_;  // a last line without its '\n'
      return Read::closed;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) return Read::closed;
    if (!wait_for(from_program_.get(), POLLIN, deadline)) return Read::timeout;
  }
}

std::string ClientProgram::exit_status() {
  if (!status_) {
    int status = 0;
    const pid_t got = ::waitpid(pid_, &status, WNOHANG);
    if (got != pid_) return "running";
    status_ = status;
  }
  if (WIFSIGNALED(*status_)) return "killed by signal " + std::to_string(WTERMSIG(*status_));
  return "exit status " + std::to_string(WEXITSTATUS(*status_));
}

}  // namespace faultline
