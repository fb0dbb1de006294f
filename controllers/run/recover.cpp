#include "controllers/run/recover.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "controllers/compose/docker_client.hpp"
#include "controllers/run/run_journal.hpp"
#include "injector/network_namespace.hpp"
#include "injector/sweep.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

// Processes whose network namespace is the one `ns` refers to.
std::vector<pid_t> processes_in(const injector::NamespaceFd& ns) {
  struct stat target {};
  if (::fstat(ns.get(), &target) != 0) return {};
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    struct stat st {};
    if (::stat((entry.path() / "ns" / "net").c_str(), &st) == 0 && st.st_ino == target.st_ino &&
        st.st_dev == target.st_dev)
      pids.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return pids;
}

void recover_namespaces(const JournalEntry& run, RecoveryOutcome& out) {
  if (run.namespace_prefix.empty()) return;
  for (const auto& name : injector::list_named_namespaces(run.namespace_prefix)) {
    try {
      auto ns = injector::NamespaceFd::open_named(name);
      for (pid_t pid : processes_in(ns)) {
        ::kill(pid, SIGKILL);
        out.lines.push_back("killed process " + std::to_string(pid) + " in " + name);
      }
    } catch (const std::exception& e) {
      out.problems.push_back(name + ": " + e.what());
    }
    if (injector::delete_named_namespace(name)) out.lines.push_back("deleted namespace " + name);
  }
}

void recover_containers(const JournalEntry& run, const std::set<std::string>& in_use,
                        RecoveryOutcome& out) {
  if (run.containers.empty()) return;
  compose::DockerClient docker(run.docker_socket.empty() ? compose::kDefaultDockerSocket
                                                         : run.docker_socket);
  for (const auto& [id, state] : run.containers) {
    const std::string short_id = id.substr(0, 12);
    if (in_use.count(id)) {
      out.problems.push_back("container " + short_id + " is in use by a live run; left alone");
      continue;
    }
    try {
      compose::Container c = docker.inspect(id);
      if (c.paused) {
        docker.unpause(id);
        out.lines.push_back("unpaused container " + c.name);
      }
      if (!c.running && state == "killed") {
        docker.start(id);
        out.lines.push_back("started container " + c.name + " again");
        for (int i = 0; i < 100 && !(c = docker.inspect(id)).running; ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (c.running && c.pid != 0) {
        auto ns = injector::NamespaceFd::open_path("/proc/" + std::to_string(c.pid) + "/ns/net");
        for (const auto& line : injector::sweep_faults(ns, "container " + c.name))
          out.lines.push_back("removed " + line + " in container " + c.name);
      }
    } catch (const std::exception& e) {
      out.problems.push_back("container " + short_id + ": " + e.what());
    }
  }
}

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
  std::set<std::string> in_use;
  for (const auto& [path, run] : journals)
    if (run_alive(run))
      for (const auto& [id, state] : run.containers) in_use.insert(id);
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
    recover_namespaces(run, out);
    recover_containers(run, in_use, out);
    // Kept when something could not be undone, so the next recover tries again.
    if (out.problems.size() == problems_before) {
      std::error_code ec;
      fs::remove(path, ec);
    }
  }
  remove_stale_drafts(state_dir, out);
  return out;
}

}  // namespace faultline
