#pragma once
// The readers of an experiment file's sections, in the order parse_experiment
// calls them: each reads its own tables into `e` and reports what is wrong
// with them; a reader may look at what earlier sections put in `e` (a fault
// names regions). Checks that look across sections once everything is read
// live in validate.hpp.
#include <algorithm>
#include <string>
#include <vector>

#include "controllers/experiment/parse.hpp"
#include "controllers/experiment/toml_reader.hpp"

namespace faultline {

void read_experiment_table(Reader& r, const toml::table& root, Experiment& e);
void read_regions(Reader& r, const toml::table& root, Experiment& e);
// [vars], then --var overrides.
void read_vars(Reader& r, const toml::table& root, Experiment& e, const VarOverrides& overrides);
void read_services(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                   const ProgramResolver& resolver);
void read_workload(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                   const ProgramResolver& resolver);
void read_wan(Reader& r, const toml::table& root, Experiment& e);
void read_faults(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                 const ProgramResolver& resolver);
// `faults_known`: e.faults holds every fault (no [[nemesis]] left undrawn).
void read_invariants(Reader& r, const toml::table& root, Experiment& e, bool faults_known);
// [[nemesis]]: read and checked; parse_experiment draws their faults after.
void read_nemeses(Reader& r, const toml::table& root, Experiment& e, const std::string& base_dir,
                  const ProgramResolver& resolver);

// Shared by [[service]] command and [workload] args: {vars.NAME} filled in,
// and every other placeholder checked (see services/command.hpp).
// `what` names the value in the message for an unknown variable.
std::string substitute_vars(Reader& r, const toml::node& at, const std::string& arg,
                            const Experiment& e, const std::string& what = "command");
void check_placeholders(Reader& r, const toml::node& at, const std::vector<std::string>& args,
                        const Experiment& e, const std::string& what);

// A cell's name: lowercase letters, digits and '_' (it names the cell's
// table in the reference store's database), at most 32.
inline bool valid_cell_name(const std::string& s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// netem's delay parameters, shared by [wan] and the faults that delay.
void read_delay(Reader& r, const toml::table& t, LinkImpairment& i, bool required);

}  // namespace faultline
