#pragma once
// One service of the system under test as the run's faults see it: a process
// faultline started in a host's namespace (ServiceProcess), or a container of
// a compose stack (ContainerService).
#include <string>

namespace faultline {

class Service {
 public:
  virtual ~Service() = default;

  virtual void start() = 0;
  virtual void kill() = 0;    // SIGKILL, no goodbye: a crash
  virtual void pause() = 0;   // frozen: a hang
  virtual void resume() = 0;  // thawed
  // At the end of the run: a process is stopped; a container is left as the
  // run found it. Idempotent.
  virtual void stop() noexcept = 0;
  virtual bool running() = 0;
  // How it ended, once it has: "exit status 1", "killed by signal 9 (SIGKILL)".
  virtual std::string exit_status() { return "exited"; }
  virtual const std::string& label() const = 0;
  // Where its output goes (a file, or the command that shows it).
  virtual const std::string& log_path() const = 0;
};

}  // namespace faultline
