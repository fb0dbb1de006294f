#include "controllers/run/recover.hpp"

#include <signal.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "controllers/providers/provider.hpp"
#include "controllers/run/run_journal.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

// The kernel probe's scratch namespace, "fl-probe-<pid>", is made before a
// run writes its journal; one whose process is gone was left by a kill.
void recover_probes(RecoveryOutcome& out) {
  const std::string prefix = "fl-probe-";
  for (const auto& name : injector::list_named_namespaces(prefix)) {
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (fs::exists("/proc/" + pid)) continue;  // a live probe (or a recycled pid: left alone)
    if (injector::delete_named_namespace(name)) out.lines.push_back("deleted namespace " + name);
  }
}

// A run killed while it rewrote its entry leaves the new text in
// `<run>.json.tmp`, never renamed; the entry itself is what held, and what
// recovery acted on. Drafts of dead runs go; so does a draft too broken to
// name its run, once it is older than any write in progress could be.
void remove_stale_drafts(const std::string& state_dir, RecoveryOutcome& out) {
  std::error_code ec;
  for (const auto& file : fs::directory_iterator(fs::path(state_dir) / "runs", ec)) {
    const std::string name = file.path().filename();
    // A lock with no entry: a run killed before it wrote its first entry,
    // or whose entry recovery just removed. Gone once nobody holds it.
    if (file.path().extension() == ".lock") {
      fs::path entry = file.path();
      entry.replace_extension(".json");
      if (fs::exists(entry)) continue;
      const int fd = ::open(file.path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0 && fs::remove(file.path(), ec))
        out.lines.push_back("removed the lock of a dead run, " + name);
      if (fd >= 0) ::close(fd);
      continue;
    }
    if (name.size() < 9 || name.compare(name.size() - 9, 9, ".json.tmp") != 0) continue;
    std::ifstream in(file.path());
    const auto j = nlohmann::json::parse(in, nullptr, false);
    const bool stale =
        j.is_object()
            ? !run_alive(JournalEntry::from_json(j))
            : fs::last_write_time(file.path(), ec) < fs::file_time_type::clock::now() - std::chrono::seconds(10);
    if (stale && fs::remove(file.path(), ec)) out.lines.push_back("removed journal draft " + name);
  }
}

}  // namespace

RecoveryOutcome recover_dead_runs(const std::string& state_dir) {
  RecoveryOutcome out;
  recover_probes(out);
  auto journals = read_journals(state_dir);
  RecoveryScope in_use;
  for (const auto& [path, run] : journals)
    if (run_alive(run))
      for (const auto& [id, state] : run.containers) in_use.containers_in_use.insert(id);
  for (const auto& [path, run] : journals) {
    if (run_alive(run)) {
      ++out.live_runs;
      continue;
    }
    ++out.dead_runs;
    out.lines.push_back("run " + run.run_id + " (pid " + std::to_string(run.pid) +
                        ", gone; results " + run.results + "):");
    for (const auto& [index, f] : run.faults)
      if (f.second != "reverted")
        out.lines.push_back("fault " + std::to_string(index) + " (" + f.first + ") was " + f.second);
    const std::size_t problems_before = out.problems.size();
    try {
      provider_kind(run.provider).recover(run, in_use, out);
    } catch (const std::invalid_argument& e) {
      out.problems.push_back("run " + run.run_id + ": " + e.what());
    }
    // Kept when something could not be undone, so the next recover tries again.
    if (out.problems.size() == problems_before) {
      std::error_code ec;
      fs::remove(path, ec);
      if (!run.lock.empty()) fs::remove(run.lock, ec);
    }
  }
  remove_stale_drafts(state_dir, out);
  return out;
}

}  // namespace faultline
