#pragma once
// An invariant kind as a part: its name, the keys its [[invariant]] table
// takes (each described, typed and bounded, so documentation and a JSON
// Schema can be generated from the same table the reader obeys), how it reads
// and validates that table, and how it judges a history. Kinds are listed in
// invariant_registry.cpp; each is defined in invariants/<name>.cpp.
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/experiment/experiment.hpp"
#include "controllers/experiment/key_spec.hpp"
#include "controllers/experiment/toml_reader.hpp"
#include "controllers/history/compact_history.hpp"

namespace faultline {

// What a kind reads from: its table, the reader collecting diagnostics, and
// the experiment as read so far (hosts, regions, workload).
struct InvariantTable {
  Reader& reader;
  const toml::table& table;
  const Experiment& experiment;
  // Whether experiment.faults holds every fault of the run: false when its
  // [[nemesis]] tables were not drawn, for an error before, and then a kind
  // that needs a fault has no reason to say it lacks one.
  bool faults_known = true;
};

struct InvariantKind {
  std::string name;           // what `kind = "..."` says
  std::string summary;        // one line: what it judges
  std::vector<KeySpec> keys;  // besides `kind`
  // Judged per customer: needs data = "customers" in [workload].
  bool per_customer = false;
  // Judged from the workload's operations (every kind so far): refused with
  // [workload] kind = "none", which records none.
  bool judges_workload = true;
  // The workload kinds whose histories it can judge (workload_kinds.hpp);
  // empty: any. Others are refused at validation, never judged vacuously.
  std::vector<std::string> workloads;
  // Reads the kind's own keys into `spec` (whose kind and where are set);
  // keys of other kinds were refused before. Null: the kind takes no keys.
  void (*read)(const InvariantTable& in, InvariantSpec& spec) = nullptr;
  CheckResult (*check)(const InvariantSpec& spec, const Experiment& e,
                       const CompactHistory& history) = nullptr;

  const KeySpec* find_key(const std::string& key) const { return faultline::find_key(keys, key); }
};

}  // namespace faultline
