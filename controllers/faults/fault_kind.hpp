#pragma once
// A fault kind as a part: its name, the keys its [[fault]] table takes (each
// described, typed and bounded, like an invariant kind's), what the rest of
// faultline asks about it instead of switching on its name (its traits), how
// it reads and validates its table, the plan steps it takes, and the one line
// that names it in logs. Kinds are listed in fault_registry.cpp; each is
// defined in kinds/<name>.cpp.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/experiment/key_spec.hpp"
#include "controllers/experiment/program.hpp"
#include "controllers/experiment/toml_reader.hpp"
#include "controllers/faults/fault_plan.hpp"
#include "controllers/topology/plan.hpp"

namespace faultline {

// What a fault acts on. It decides which faults may not overlap (traffic faults
// on one link, process faults on one service) and what the machine must offer.
enum class FaultFamily {
  network,  // routes or nf_tables drop rules in the regions' routers
  traffic,  // traffic control: an HTB class with a netem leaf or a rate
  process,  // signals to one service's processes
  clock,    // the libfaketime clock of a region's services
  command,  // whatever a program the experiment names does, run in a host
};

// Where a traffic fault shapes: the WAN links between regions (its `between`),
// or what one host of a region sends.
enum class ShapedPath { wan_links, host_egress };

// What a kind reads from: its table, the reader collecting diagnostics, the
// experiment as read so far (hosts, regions, services, vars), and how the
// programs a fault runs are found (as services' are: from the experiment's
// folder, next to faultline, on PATH).
struct FaultTable {
  Reader& reader;
  const toml::table& table;
  const Experiment& experiment;
  const std::string& base_dir;
  const ProgramResolver& resolver;
};

// What a kind plans against: the experiment (its WAN baseline), the topology
// the provider builds or found, and the fault's place in the experiment
// (partitions give each fault a route metric of its own).
struct FaultPlanning {
  const Experiment& experiment;
  const TopologyPlan& topology;
  std::size_t index = 0;
};

struct FaultKind {
  std::string name;           // what `kind = "..."` says
  std::string summary;        // one line: what goes wrong
  std::vector<KeySpec> keys;  // besides kind, at and for, in the order messages list them

  FaultFamily family = FaultFamily::network;
  ShapedPath shapes = ShapedPath::wan_links;  // traffic kinds only
  // Whether the fault stays in force until it ends (and so takes `for`). A
  // restart is over once applied: nothing of it remains to undo.
  bool lasting = true;
  // With `lasting`: `for` may be left out, and the fault is then over once
  // applied (a command with no end command). See fault_lasts().
  bool for_optional = false;
  // Served only by the kernel's sch_netem, not by the NFQUEUE engine.
  bool netem_only = false;
  // Acts inside services faultline starts itself, not ones it finds running.
  bool needs_own_services = false;
  // Whether this fault, as specified, needs nf_tables (routes cannot see
  // ports). Null: never.
  bool (*needs_nftables)(const FaultSpec& fault) = nullptr;

  // Reads the kind's own keys into `fault` (whose kind, at, for and where are
  // set); keys of other kinds were refused before.
  void (*read)(const FaultTable& in, FaultSpec& fault) = nullptr;
  // Checks that need the whole experiment, once everything is read; each
  // problem is reported at the fault. Null: none.
  std::vector<std::string> (*validate)(const Experiment& e, const FaultSpec& fault) = nullptr;
  // The steps that apply the fault, in order (reverted newest first).
  std::vector<PlanStep> (*plan)(const FaultPlanning& at, const FaultSpec& fault) = nullptr;
  // One line naming what the fault does: "partition [us-east-1] | [eu-west-1]".
  std::string (*describe)(const FaultSpec& fault) = nullptr;

  const KeySpec* find_key(std::string_view key) const { return faultline::find_key(keys, key); }
};

}  // namespace faultline
