#include "controllers/run/preflight.hpp"

#include <pwd.h>

#include <vector>

#include "controllers/faults/clock_skew.hpp"
#include "controllers/faults/fault_registry.hpp"
#include "controllers/run/experiment_run.hpp"
#include "injector/capabilities.hpp"

namespace faultline {

namespace {

// Chooses the engine for netem-style faults and refuses an experiment this
// kernel cannot serve.
std::string choose_engine(const Experiment& e) {
  bool port_partitions = false;
  for (const auto& f : e.faults)
    if (const auto needs_nftables = kind_of(f).needs_nftables)
      port_partitions = port_partitions || needs_nftables(f);
  if (!e.has_traffic_faults() && !port_partitions) return "none";
  auto caps = injector::probe_capabilities();
  if (port_partitions && !injector::has_capability(caps, "nftables"))
    throw CapabilityError(
        "this kernel lacks nf_tables, which " + e.path +
        " needs for partitions narrowed to ports; nothing was created. Load it (modprobe "
        "nf_tables) or drop the ports; `faultline doctor` shows what this kernel offers");
  if (!e.has_traffic_faults()) return "none";
  auto missing_error = [&](const std::string& missing, const std::string& advice) {
    return CapabilityError("this kernel lacks " + missing + ", which " + e.path +
                           " needs for its traffic-control faults; nothing was created. " + advice +
                           "; `faultline doctor` shows what this kernel offers");
  };
  for (const char* piece : {"htb", "u32"})
    if (!injector::has_capability(caps, piece))
      throw missing_error(piece,
                          "Load the module (modprobe sch_htb cls_u32) or use a kernel that has it");
  if (!e.needs_netem()) return "netem";  // only rates: plain htb
  const bool netem = injector::has_capability(caps, "netem");
  const bool nfqueue = injector::has_capability(caps, "nfqueue");
  if (e.engine == "netem" || (e.engine == "auto" && netem) ||
      (e.engine == "auto" && e.needs_netem_only())) {
    if (!netem)
      throw missing_error(
          "sch_netem",
          std::string(e.needs_netem_only() ? "duplicate and corrupt need it"
                                           : "engine = \"netem\" needs it") +
              ": load it (modprobe sch_netem), use a kernel that has it" +
              (nfqueue && !e.needs_netem_only() ? ", or set engine = \"nfqueue\"" : ""));
    return "netem";
  }
  if (!nfqueue)
    throw missing_error("the NFQUEUE engine (nf_tables with the xtables NFQUEUE target)",
                        "Load nfnetlink_queue and nft_compat, or use a kernel with sch_netem");
  return "nfqueue";
}

// Whether this machine has the user `name`.
bool user_exists(const std::string& name) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  return ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr;
}

}  // namespace

MachineChoices check_machine(const Experiment& e) {
  MachineChoices choices;
  choices.engine = choose_engine(e);
  // A command fault's program runs on this machine whatever the provider:
  // its user must be here before anything is, not found missing mid-run.
  for (const auto& f : e.faults)
    if (kind_of(f).family == FaultFamily::command && f.command.user != "root" &&
        !user_exists(f.command.user))
      throw CapabilityError(e.path + ":" + std::to_string(f.where.line) + ": the " + f.kind +
                            " fault runs as user '" + f.command.user +
                            "', whom this machine lacks; nothing was created. Create the user "
                            "or choose another 'user'");
  for (const auto& f : e.faults)
    if (kind_of(f).family == FaultFamily::clock) {
      auto lib = find_libfaketime();
      if (!lib)
        throw CapabilityError(e.path + ": " + f.kind +
                              " faults need libfaketime, which this machine lacks; "
                              "nothing was created. Install it: apt-get install libfaketime");
      choices.faketime = *lib;
      break;
    }
  return choices;
}

}  // namespace faultline
