#pragma once
// A run's record of what it may leave behind, for `faultline recover`.
//
// Written before anything is created, in the state folder (/run/faultline/
// runs/<run>.json, gone at reboot like everything it describes) and as
// journal.json in the run's results. It names the run's process (pid and
// start time, so a recycled pid is not taken for a live run), its namespace
// prefix, and every container it is about to touch with the state it leaves
// it in. A run that ends, however it ends, deletes its entry once everything
// is released; an entry whose process is gone belongs to a run that was
// killed, and recovery undoes what it names.
//
// Whether the process is gone is not a question of its pid alone: a
// controller killed with SIGKILL still has a /proc entry while it exits and
// until its parent reaps it, and `recover` run at once (a CI job's cleanup
// step) would take it for live. So a run also holds an exclusive flock(2) on
// <run>.lock for its whole life. The kernel drops it when the process's
// files are closed, early in its exit and before it is reaped; a run whose
// lock nobody holds is dead, however its pid looks.
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline {

inline constexpr const char* kDefaultStateDir = "/run/faultline";

struct JournalEntry {
  std::string run_id;
  pid_t pid = 0;
  unsigned long long start_time = 0;  // the process's start, in clock ticks since boot
  std::string provider;               // "namespaces" or "compose"
  std::string namespace_prefix;       // "fl-<run>-" (namespaces)
  std::string docker_socket;          // compose
  std::string results;
  std::string lock;  // the lock file the run holds while it lives (empty in older entries)
  // Container id -> what the run did last: "touched" (faults inside),
  // "killed", "paused", "running".
  std::map<std::string, std::string> containers;
  // Fault index -> {what, "applied" | "reverted"}, written as each change
  // lands (what `recover` reports; the cleanup itself goes by namespaces,
  // containers and faultline's marks in the kernel).
  std::map<std::size_t, std::pair<std::string, std::string>> faults;

  nlohmann::json to_json() const;
  static JournalEntry from_json(const nlohmann::json& j);
};

// The start time of a process (field 22 of /proc/PID/stat); nullopt when no
// such process exists.
std::optional<unsigned long long> process_start_time(pid_t pid);
// Whether the entry's process is still the run that wrote it: the same pid
// and start time, not exiting, and holding its lock. A process with SIGKILL
// pending is waited for (up to `patience`) until its lock drops.
bool run_alive(const JournalEntry& entry,
               std::chrono::milliseconds patience = std::chrono::milliseconds(3000));

class RunJournal {
 public:
  RunJournal(std::string state_dir, JournalEntry entry);
  ~RunJournal();  // the run is over: its entry goes
  RunJournal(const RunJournal&) = delete;
  RunJournal& operator=(const RunJournal&) = delete;

  // Records a container before the run acts on it.
  void container(const std::string& id, const std::string& state);
  void fault(std::size_t index, const std::string& what, const std::string& state);
  const JournalEntry& entry() const { return entry_; }

 private:
  void write();
  std::string path_;
  int lock_fd_ = -1;  // holds the run's flock for its life
  JournalEntry entry_;
};

// Every entry in the state folder, with the file it came from.
std::vector<std::pair<std::string, JournalEntry>> read_journals(const std::string& state_dir);

}  // namespace faultline
