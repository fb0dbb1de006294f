#include <iostream>

#include "controllers/experiment/parse.hpp"
#include "controllers/faults/fault_plan.hpp"
#include "controllers/faults/plan_render.hpp"
#include "controllers/providers/provider.hpp"
#include "controllers/run/dry_run.hpp"
#include "controllers/run/experiment_run.hpp"

namespace faultline {

void print_plan(const Experiment& e, const RunOptions& options) {
  auto provider = provider_kind(options.provider).make(options);
  const TopologyPlan plan = provider->plan(e, "dryrun");
  std::cout << render_dry_run(e, plan, provider->describe(plan));
}

std::string render_dry_run(const Experiment& e, const TopologyPlan& plan,
                           const std::vector<std::string>& heading) {
  std::string out;
  for (const auto& line : heading) out += line + "\n";
  for (const auto& r : plan.regions) {
    out += "  region " + r.name + " (geo " + r.geo + "): router " + r.router_netns + ", LAN " +
           r.lan_v4 + " " + r.lan_v6 + ", backbone " + r.wan_v4 + " " + r.wan_v6 + "\n";
    for (const auto& h : r.hosts)
      out += "    host " + h.name + ": " + h.netns + " " + h.ipv4 + " " + h.ipv6 + "\n";
  }
  if (e.has_traffic_faults()) {
    out += "engine: " + e.engine +
           (e.engine == "auto" ? " (the kernel's netem where it has sch_netem, else the NFQUEUE "
                                 "engine; `faultline doctor` tells which)"
                               : "") +
           "\n";
    if (e.engine == "nfqueue")
      out += "  with the NFQUEUE engine, netem leaves below become queue rules (ip/ip6 table "
             "faultline, chain egress, postrouting) served in user space\n";
  }
  // The same values the run applies: one renderer numbers classes across the
  // baseline and the faults, as the run hands them out in file order.
  PlanRenderer renderer;
  if (e.wan) {
    out += "WAN baseline (whole run):\n";
    for (const auto& line : renderer.render(plan_baseline(e, plan))) out += "      " + line + "\n";
  }
  out += "faults:\n";
  for (const auto& fault : plan_faults(e, plan)) {
    const FaultSpec& f = e.faults[fault.fault];
    out += "  [" + std::to_string(fault.fault) + "] at " + format_duration(f.at);
    if (fault.lasting) out += " for " + format_duration(f.length);
    out += ": " + fault.what + "\n";
    for (const auto& line : renderer.render(fault.steps)) out += "      " + line + "\n";
  }
  return out;
}

}  // namespace faultline
