#pragma once
// A user's client program as a child process, owned: started in the calling
// thread's network namespace (fork inherits it, so a session thread that has
// entered its client host starts the program there), as a given user, with
// stdin and stdout as pipes to faultline and stderr appended to a log. It
// dies with its owner: PR_SET_PDEATHSIG fires when the thread that started
// it ends (a killed controller included), and the destructor kills its
// process group and reaps it.
//
// Lines go out and come back under deadlines with poll(2), never blocking
// past them: a program that hangs costs its operation's timeout, no more.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "injector/file_descriptor.hpp"

namespace faultline {

struct ProgramUser {
  uid_t uid = static_cast<uid_t>(-1);  // -1: the controller's own
  gid_t gid = static_cast<gid_t>(-1);
};
// The uid and gid of `user`; throws for a user this machine lacks.
ProgramUser lookup_user(const std::string& user);

class ClientProgram {
 public:
  using Deadline = std::chrono::steady_clock::time_point;
  enum class Read { line, timeout, closed, too_long };

  // Starts `program` with `args` (argv[1...]); stderr is appended to
  // `log_path`. Throws if the pipes or the log cannot be made.
  ClientProgram(const std::string& program, const std::vector<std::string>& args,
                ProgramUser user, const std::string& log_path);
  ~ClientProgram();
  ClientProgram(const ClientProgram&) = delete;
  ClientProgram& operator=(const ClientProgram&) = delete;

  pid_t pid() const { return pid_; }
  // Writes `line` (ending in '\n'); false if the program's stdin is closed
  // (it exited) or the deadline passed first.
  bool send(const std::string& line, Deadline deadline);
  // The next line from its stdout, without the '\n'.
  Read read_line(std::string& line, Deadline deadline);
  // How it ended ("exit status 1", "killed by signal 9"), or "running".
  std::string exit_status();
  // Closes its stdin, gives it `grace` to exit by itself, then kills its
  // process group and reaps it. Idempotent; the destructor gives 200 ms.
  void stop(std::chrono::milliseconds grace) noexcept;

  static constexpr std::size_t kMaxLine = 1 << 20;

 private:
  pid_t pid_ = -1;
  injector::FileDescriptor to_program_;
  injector::FileDescriptor from_program_;
  std::string buffer_;        // read, not yet returned
  std::size_t scanned_ = 0;   // bytes of buffer_ known to hold no '\n'
  std::optional<int> status_; // waitpid status, once reaped
};

}  // namespace faultline
