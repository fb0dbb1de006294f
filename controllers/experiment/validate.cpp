#include "controllers/experiment/validate.hpp"

#include <algorithm>
#include <string>

#include "controllers/checkers/invariant_registry.hpp"
#include "controllers/experiment/client_kinds.hpp"
#include "controllers/experiment/diagnostic.hpp"
#include "controllers/experiment/workload_kinds.hpp"
#include "controllers/faults/fault_registry.hpp"

namespace faultline {

namespace {

class Findings {
 public:
  explicit Findings(const Experiment& e) : file_(e.path) {}
  void error(SourcePosition at, std::string message) {
    found_.push_back({file_, at, std::move(message)});
  }
  std::vector<Diagnostic> take() { return std::move(found_); }

 private:
  std::string file_;
  std::vector<Diagnostic> found_;
};

// The (interface, direction) each traffic-control fault shapes, for the
// coexistence rule: two such faults on one directed link may not overlap in
// time (their effects would not compose predictably).
std::vector<std::string> shaped_links(const Experiment& e, const FaultSpec& f) {
  std::vector<std::string> links;
  if (kind_of(f).shapes == ShapedPath::host_egress) return {"db-host " + f.region + "/" + f.host};
  for (const auto& a : e.regions)
    for (const auto& b : e.regions) {
      if (a.name == b.name) continue;
      if (!f.between.empty()) {
        bool forward = a.name == f.between[0] && b.name == f.between[1];
        bool backward = a.name == f.between[1] && b.name == f.between[0];
        if (!forward && !(backward && !f.one_way)) continue;
      }
      links.push_back(a.name + "->" + b.name);
    }
  return links;
}

void check_coexistence(Findings& out, const Experiment& e) {
  for (size_t i = 0; i < e.faults.size(); ++i)
    for (size_t j = i + 1; j < e.faults.size(); ++j) {
      const FaultSpec& a = e.faults[i];
      const FaultSpec& b = e.faults[j];
      if (kind_of(a).family != FaultFamily::traffic || kind_of(b).family != FaultFamily::traffic)
        continue;
      if (a.at + a.length <= b.at || b.at + b.length <= a.at) continue;
      auto la = shaped_links(e, a), lb = shaped_links(e, b);
      for (const auto& link : la)
        if (std::find(lb.begin(), lb.end(), link) != lb.end()) {
          out.error(b.where, b.kind + " fault overlaps the " + a.kind + " fault at line " +
                                 std::to_string(a.where.line) + " on " + link +
                                 ": traffic-control faults on one link must not overlap in time; "
                                 "combine them in one "
                                 "window or move one");
          return;
        }
    }
  // kill, pause and restart of one service: a paused process cannot be
  // killed and started in a well-defined order, nor a killed one paused.
  auto is_process_fault = [](const FaultSpec& f) {
    return kind_of(f).family == FaultFamily::process;
  };
  // A fault that does not last still takes its moment.
  auto end_of = [](const FaultSpec& f) { return f.at + (fault_lasts(f) ? f.length : Duration(1)); };
  for (size_t i = 0; i < e.faults.size(); ++i)
    for (size_t j = i + 1; j < e.faults.size(); ++j) {
      const FaultSpec& a = e.faults[i];
      const FaultSpec& b = e.faults[j];
      if (!is_process_fault(a) || !is_process_fault(b)) continue;
      if (a.region != b.region || a.service != b.service) continue;
      if (end_of(a) <= b.at || end_of(b) <= a.at) continue;
      out.error(b.where, b.kind + " of " + b.service + "@" + b.region + " overlaps the " + a.kind +
                             " at line " + std::to_string(a.where.line) +
                             ": one service takes one kill, pause or restart at a time; move one");
      return;
    }
}

void check_engine(Findings& out, const Experiment& e) {
  if (e.engine != "nfqueue") return;
  for (const auto& f : e.faults)
    if (kind_of(f).netem_only)
      out.error(f.where, f.kind + " needs sch_netem: use engine = \"netem\" or \"auto\"");
}

// What each kind checks of its own faults once the whole experiment is read.
void check_fault_kinds(Findings& out, const Experiment& e) {
  for (const auto& f : e.faults)
    if (const auto validate = kind_of(f).validate)
      for (auto& problem : validate(e, f)) out.error(f.where, std::move(problem));
}

void check_invariants(Findings& out, const Experiment& e) {
  for (const auto& inv : e.invariants) {
    const InvariantKind* kind = find_invariant_kind(inv.kind);
    // Refused rather than judged unknown at the end of a run that could not
    // have decided it either way.
    if (kind != nullptr && kind->judges_workload && e.workload.kind == "none") {
      out.error(inv.where, kind->name +
                               " judges the workload's operations, and [workload] kind = \"none\" "
                               "records none: drive a workload or remove the invariant");
      continue;
    }
    if (kind != nullptr && !kind->workloads.empty() &&
        std::find(kind->workloads.begin(), kind->workloads.end(), e.workload.kind) ==
            kind->workloads.end()) {
      out.error(inv.where, kind->name + " judges " + listed(kind->workloads) +
                               " histories, and this workload is \"" + e.workload.kind +
                               "\": choose an invariant for it or another workload kind");
      continue;
    }
    if (kind != nullptr && kind->per_customer && e.workload.data != WorkloadData::customers)
      out.error(inv.where,
                kind->name + " is judged per customer: set data = \"customers\" in [workload]");
  }
}

// The run drives a workload whenever there are services, [workload] or not,
// unless it says kind = "none". Its client must carry its kind, and the
// client kind checks what it needs (a service to talk to, its options).
void check_workload(Findings& out, const Experiment& e) {
  const WorkloadSpec& w = e.workload;
  if (w.kind == "none") return;  // no target, no state service
  const ClientKind* client = find_client_kind(w.client);
  const WorkloadKind* kind = find_workload_kind(w.kind);
  if (client == nullptr || kind == nullptr) return;  // reported where it was read
  if (!client->carries(w.kind)) {
    out.error(w.where, "client \"" + w.client + "\" does not carry the " + w.kind +
                           " workload (it carries " + listed(client->workloads) +
                           "): choose another client or workload kind");
    return;
  }
  if (w.data == WorkloadData::customers && !kind->customers)
    out.error(w.where, "the " + w.kind + " workload's keys are global: drop data = \"customers\"");
  else if (w.data == WorkloadData::customers && w.client != "kv-http")
    out.error(w.where, "data = \"customers\" needs the reference store's client: customer sign-up "
                       "and session tokens are its API; client \"" + w.client +
                       "\" drives global keys");
  // Without a [workload] table the problem is the services' (none is the
  // default target), so it is shown at the first of them.
  const SourcePosition at =
      w.written || e.services.empty() ? w.where : e.services.front().where;
  if (client->validate != nullptr)
    for (auto& problem : client->validate(e)) out.error(at, std::move(problem));
}

// The workload's clients, its final reads and the residency probe run inside
// each region's "client" host: without one the run could only fail midway.
// (A residency invariant needs customers, so a workload, so services.)
void check_client_host(Findings& out, const Experiment& e) {
  if (!e.drives_workload() || e.has_host("client")) return;
  out.error(e.hosts_where,
            "'hosts' lacks \"client\": each region's client host runs the workload's clients, "
            "its final reads and the residency probe; add \"client\" to 'hosts'");
}

}  // namespace

std::vector<Diagnostic> validate_experiment(const Experiment& e) {
  Findings out(e);
  check_coexistence(out, e);
  check_engine(out, e);
  check_fault_kinds(out, e);
  check_invariants(out, e);
  check_workload(out, e);
  check_client_host(out, e);
  return out.take();
}

}  // namespace faultline
