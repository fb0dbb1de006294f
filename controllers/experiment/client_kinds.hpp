#pragma once
// The client kinds an experiment may name in [workload] client = "...", each
// a part: its name, the workload kinds it can carry, the keys of its own
// table [workload.<name>] (described, typed and bounded like a fault kind's,
// so the docs come from the same table the reader obeys), how it reads them
// into its options (client_specs.hpp) and what it checks across the
// experiment. This is the model's half: what opens a client for a run is
// controllers/workload/client_factories.hpp, which links the protocols'
// libraries (libpq, hiredis, HTTP).
#include <string>
#include <string_view>
#include <vector>

#include "controllers/experiment/experiment.hpp"
#include "controllers/experiment/key_spec.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/experiment/toml_reader.hpp"

namespace faultline {

// What a kind reads from: [workload] itself, its own [workload.<name>] table
// (null when the file has none), the experiment as read so far (services,
// regions, vars), and how to find programs.
struct ClientTable {
  Reader& reader;
  const toml::table& workload;
  const toml::table* own = nullptr;
  Experiment& experiment;
  const std::string& base_dir;
  const ProgramResolver& resolver;
};

struct ClientKind {
  std::string name;
  std::string summary;
  std::vector<std::string> workloads;  // the workload kinds it carries
  // Keys of its table [workload.<name>]; a kind without one has none.
  std::vector<KeySpec> keys;
  // Keys it reads from [workload] itself (exec's program, args and user),
  // refused there for every other client kind.
  std::vector<std::string> workload_keys;
  // Reads its options into `w` (whose kind and client are set). Null: none.
  void (*read)(const ClientTable& in, WorkloadSpec& w) = nullptr;
  // Checks across the experiment once everything is read, each reported at
  // [workload]. Null: none.
  std::vector<std::string> (*validate)(const Experiment& e) = nullptr;

  bool carries(std::string_view workload) const;
  const KeySpec* find_key(std::string_view key) const { return faultline::find_key(keys, key); }
};

const std::vector<const ClientKind*>& client_kinds();
const ClientKind* find_client_kind(std::string_view name);
std::vector<std::string> client_kind_names();

}  // namespace faultline
