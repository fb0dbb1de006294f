#include "controllers/providers/namespaces_provider.hpp"

#include <pwd.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "controllers/faults/clock_skew.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/run/experiment_run.hpp"
#include "controllers/services/command.hpp"
#include "controllers/services/service_process.hpp"
#include "injector/network_namespace.hpp"

namespace faultline {

namespace fs = std::filesystem;

namespace {

// The first folder on the way to `path` (which may not exist yet) that
// uid/gid may not traverse, if any.
std::optional<std::string> first_untraversable(const std::string& path, uid_t uid, gid_t gid) {
  if (uid == 0) return std::nullopt;
  fs::path p = fs::absolute(path);
  std::vector<fs::path> chain;
  for (fs::path q = p; !q.empty(); q = q.parent_path()) {
    chain.push_back(q);
    if (q == q.root_path()) break;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    struct stat st {};
    if (::stat(it->c_str(), &st) != 0) break;  // does not exist yet: faultline creates it 0755
    if (!S_ISDIR(st.st_mode)) continue;
    const bool ok = st.st_uid == uid   ? (st.st_mode & S_IXUSR) != 0
                    : st.st_gid == gid ? (st.st_mode & S_IXGRP) != 0
                                       : (st.st_mode & S_IXOTH) != 0;
    if (!ok) return it->string();
  }
  return std::nullopt;
}

// Whether uid/gid may execute the file at `path` (its permission bits; root
// needs an execute bit for someone). A script also needs the read bit.
bool may_execute(const std::string& path, uid_t uid, gid_t gid) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  if (uid == 0) return (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0;
  const mode_t x = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
  const mode_t r = st.st_uid == uid ? S_IRUSR : st.st_gid == gid ? S_IRGRP : S_IROTH;
  if ((st.st_mode & x) == 0) return false;
  // An interpreted program ("#!") is read by its interpreter as this user.
  char magic[2] = {};
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    const bool script = std::fread(magic, 1, 2, f) == 2 && magic[0] == '#' && magic[1] == '!';
    std::fclose(f);
    if (script && (st.st_mode & r) == 0) return false;
  }
  return true;
}

std::vector<RegionInput> region_inputs(const Experiment& e) {
  std::vector<RegionInput> inputs;
  for (const auto& r : e.regions) inputs.push_back({r.name, r.geo});
  return inputs;
}

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

}  // namespace

void NamespacesProvider::preflight(const Experiment& e) {
  for (const auto& s : e.services) {
    if (s.user.empty()) continue;
    const struct passwd* pw = ::getpwnam(s.user.c_str());
    if (pw == nullptr)
      throw CapabilityError(e.path + ": service '" + s.name + "' runs as user '" + s.user +
                            "', which this machine lacks; nothing was created. Create it "
                            "(useradd --system " + s.user + ") or change 'user'");
    // Its program must be executable by that user: a checkout in root's home
    // folder (mode 700) holds the reference system's binaries where nobody
    // cannot go, and execve would fail only once the regions exist.
    if (!s.program.empty() && s.program.front() == '/') {
      if (auto blocked = first_untraversable(fs::path(s.program).parent_path().string(),
                                             pw->pw_uid, pw->pw_gid))
        throw CapabilityError(e.path + ": service '" + s.name + "' runs as user '" + s.user +
                              "', which cannot enter " + *blocked + " to run " + s.program +
                              "; nothing was created. Install the faultline package (its programs "
                              "go to /usr/lib/faultline), clone it where others may go (such as "
                              "/opt or /srv), or let others traverse the folder "
                              "(chmod o+x " + *blocked + ")");
      if (!may_execute(s.program, pw->pw_uid, pw->pw_gid))
        throw CapabilityError(e.path + ": service '" + s.name + "' runs as user '" + s.user +
                              "', which may not execute " + s.program +
                              "; nothing was created. chmod o+rx " + s.program +
                              ", or run the service as a user that may");
    }
    // Its {workdir} is inside the results folder: the user must be able to reach it.
    if (auto blocked = first_untraversable(results_root_, pw->pw_uid, pw->pw_gid))
      throw CapabilityError("service '" + s.name + "' runs as user '" + s.user +
                            "', which cannot enter " + *blocked +
                            " on the way to the results folder; nothing was created. Choose "
                            "--results in a folder it can reach (such as /var/tmp/faultline), "
                            "or let others traverse it (chmod o+x " + *blocked + ")");
  }
}

TopologyPlan NamespacesProvider::plan(const Experiment& e, const std::string& run_id) {
  plan_ = plan_topology(run_id, region_inputs(e), e.hosts);
  return plan_;
}

std::vector<std::string> NamespacesProvider::describe(const TopologyPlan& plan) const {
  return {"topology (run id 'dryrun' stands for the random id of a real run):",
          "  backbone namespace " + plan.backbone_netns + ", bridge " + kBackboneBridge};
}

void NamespacesProvider::journal(JournalEntry& entry) const {
  entry.provider = "namespaces";
  entry.namespace_prefix = namespace_prefix(plan_.run_id);
}

void NamespacesProvider::build(RunJournal&) {
  topology_ =
      NamespaceTopology::build(plan_, [](const std::string& line) { spdlog::info("{}", line); });
}

void NamespacesProvider::claim(const std::string& netns) {
  if (netns.rfind(namespace_prefix(plan_.run_id), 0) != 0)
    throw std::logic_error("refusing to act on namespace " + netns +
                           ": this run did not create it");
  topology_->netns(netns);  // throws for a name the topology does not hold
}

namespace {
std::string run_cgroup(const std::string& run_id) { return "faultline/" + run_id; }
}  // namespace

void NamespacesProvider::start_services(const Experiment& e, const ServiceContext& context) {
  if (injector::Cgroup::hierarchy()) run_cgroup_ = injector::Cgroup::create(run_cgroup(plan_.run_id));
  for (const auto& region : plan_.regions)
    for (const auto& s : e.services) {
      auto argv = expand_command(s.command, plan_, region.name, s.host, context.results, s.name);
      std::vector<std::string> args(argv.begin() + 1, argv.end());
      const std::string label = s.name + "@" + region.name;
      auto process = std::make_unique<ServiceProcess>(
          label, s.program, args, topology_->host(region.name, s.host),
          (fs::path(context.results) / ("service-" + s.name + "-" + region.name + ".log")).string());
      // {workdir}: the service's own folder, owned by the user it runs as.
      if (!s.user.empty()) process->run_as(s.user);
      process->contain_in(run_cgroup(plan_.run_id) + "/" + s.name + "-" + region.name);
      process->limit_log(s.log_limit);
      const bool uses_workdir = std::any_of(s.command.begin(), s.command.end(), [](const auto& a) {
        return a.find("{workdir}") != std::string::npos;
      });
      if (uses_workdir) {
        const fs::path workdir = service_workdir(context.results, s.name, region.name);
        fs::create_directories(workdir);
        if (!s.user.empty() && ::chown(workdir.c_str(), process->uid(), process->gid()) != 0)
          throw std::runtime_error("cannot hand " + workdir.string() + " to user " + s.user);
      }
      // A region with clock faults runs its services on libfaketime's clock.
      for (const auto& f : e.faults)
        if (kind_of(f).family == FaultFamily::clock && f.region == region.name &&
            (f.service.empty() || f.service == s.name)) {
          for (const auto& [name, value] :
               faketime_environment(context.faketime, context.clock_file(region.name)))
            process->set_env(name, value);
          break;
        }
      process->start();
      spdlog::info("started {} (pid {}) on {}", label, process->pid(), region.host(s.host).ipv4);
      services_.add(region.name, s.name, std::move(process));
    }
}

void NamespacesProvider::recover(const JournalEntry& run, const RecoveryScope&,
                                 RecoveryOutcome& out) {
  if (run.namespace_prefix.empty()) return;
  // The cgroups first: they hold what left the namespaces' process groups.
  try {
    if (int killed = injector::Cgroup::kill_tree(run_cgroup(run.run_id)))
      out.lines.push_back("killed " + std::to_string(killed) + " process(es) in cgroup " +
                          run_cgroup(run.run_id));
  } catch (const std::exception& e) {
    out.problems.push_back("cgroup " + run_cgroup(run.run_id) + ": " + e.what());
  }
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

}  // namespace faultline
