#include "controllers/experiment/parse.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "controllers/experiment/sections.hpp"
#include "controllers/experiment/validate.hpp"
#include "controllers/faults/random_nemesis.hpp"

namespace faultline {

namespace {

const Keys kRootKeys{"experiment", "region", "service", "workload", "wan",
                     "fault",      "invariant", "vars", "nemesis"};

}  // namespace

Experiment parse_experiment(std::string_view text, const std::string& path,
                            const ProgramResolver& resolver, const VarOverrides& vars,
                            std::optional<std::uint64_t> seed) {
  Reader r(path);
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& err) {
    r.error(position_of(err.source()), "TOML syntax: " + std::string(err.description()));
    throw ExperimentError(std::move(r.diagnostics()));
  }
  Experiment e;
  e.path = path;
  const std::string base_dir = std::filesystem::path(path).parent_path().string();
  r.check_keys(root, "the experiment file", kRootKeys);
  // In this order: each section may refer to what the ones before it define.
  read_experiment_table(r, root, e);
  if (seed) e.seed = *seed;  // `faultline run --seed`: the file's seed is a default
  read_regions(r, root, e);
  read_vars(r, root, e, vars);
  read_services(r, root, e, base_dir.empty() ? "." : base_dir, resolver);
  read_workload(r, root, e, base_dir.empty() ? "." : base_dir, resolver);
  read_wan(r, root, e);
  read_faults(r, root, e, base_dir.empty() ? "." : base_dir, resolver);
  read_nemeses(r, root, e, base_dir.empty() ? "." : base_dir, resolver);
  // Drawn into the faults before the invariants, which may ask for a fault
  // (recovery, latency of untouched regions), and before validation, which
  // then judges a drawn schedule as it judges a written one.
  const bool drawn = r.diagnostics().empty();
  if (drawn)
    for (auto& [at, problem] : draw_all_nemeses(e)) r.error(at, std::move(problem));
  read_invariants(r, root, e, drawn || e.nemeses.empty());
  for (auto& d : validate_experiment(e)) r.diagnostics().push_back(std::move(d));
  if (!r.diagnostics().empty()) throw ExperimentError(std::move(r.diagnostics()));
  return e;
}

Experiment load_experiment(const std::string& path, const ProgramResolver& resolver,
                           const VarOverrides& vars, std::optional<std::uint64_t> seed) {
  std::ifstream in(path);
  if (!in) throw ExperimentError({{path, {0, 0}, "cannot read the experiment file"}});
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_experiment(buffer.str(), path, resolver, vars, seed);
}

}  // namespace faultline
