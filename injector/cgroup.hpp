#pragma once
// A cgroup of the unified (v2) hierarchy as a service's container of
// processes. A process group cannot hold a service: a daemon that calls
// setsid(2) or double-forks leaves it, outlives SIGKILL to the group, and
// keeps the network namespace it runs in alive after the namespace's name is
// gone. A cgroup holds every descendant however it detaches, and v2 has two
// files that act on all of them at once with no controller enabled:
// cgroup.kill (SIGKILL to every member, Linux 5.14) and cgroup.freeze.
//
// Users' machines mostly mount the unified hierarchy at /sys/fs/cgroup;
// hybrid machines (cgroup v1 controllers, as on this project's CI) mount it
// at /sys/fs/cgroup/unified; a machine with neither gets one mounted under
// /run/faultline. Where none can be had (a container with a read-only
// cgroupfs), available() says so and services fall back to process groups.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace faultline::injector {

class Cgroup {
 public:
  // The unified hierarchy's mount point, mounting one when none is mounted;
  // nothing when that fails.
  static std::optional<std::string> hierarchy();
  // Creates (or adopts) `relative` under the hierarchy, e.g.
  // "faultline/<run>/app-us-east-1". Throws KernelError.
  static Cgroup create(const std::string& relative);
  // Kills every process under `relative` (nested cgroups too) and removes
  // the cgroups, deepest first: recovery of a dead run. Returns how many
  // processes were killed; throws KernelError when they would not go.
  static int kill_tree(const std::string& relative);

  Cgroup(Cgroup&& other) noexcept;
  Cgroup& operator=(Cgroup&& other) noexcept;
  Cgroup(const Cgroup&) = delete;
  Cgroup& operator=(const Cgroup&) = delete;
  ~Cgroup();  // kills what is left and removes the cgroup

  const std::string& path() const { return path_; }
  // An O_WRONLY, close-on-exec descriptor of cgroup.procs: a forked child
  // writes "0" to it before execve to join (async-signal-safe).
  int procs_fd() const { return procs_fd_; }

  std::vector<pid_t> pids() const;
  bool populated() const;
  // SIGKILL to every member; returns once none is left (or throws after
  // `patience`).
  void kill(std::chrono::milliseconds patience = std::chrono::milliseconds(5000));
  // Freezes or thaws every member, returning once the kernel says it is done.
  void freeze(bool frozen);
  // kill() and rmdir. Idempotent.
  void remove() noexcept;

 private:
  explicit Cgroup(std::string path);
  std::string path_;
  int procs_fd_ = -1;
};

}  // namespace faultline::injector
