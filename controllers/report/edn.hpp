#pragma once
// The history in EDN, so Jepsen's own checkers can re-check a run:
//
//   history.edn       Jepsen's operation maps, kv operations as independent
//                     [key value] tuples (jepsen.independent + Knossos'
//                     register model, per key);
//   history-elle.edn  reads and writes as single-operation transactions,
//                     [[:r k v]] and [[:w k v]], for Elle's rw-register
//                     checker.
//
// Keys of our own (region, session, served_by, version) come along as
// :region, :session, :served-by, :version.
#include <string>
#include <vector>

#include "controllers/history/history.hpp"

namespace faultline {

std::string edn_value(const nlohmann::json& value);
std::string to_edn(const Operation& op);
std::string to_elle_edn(const Operation& op);  // "" for operations Elle does not check
// Writes both files into `dir`; returns how many operations each holds.
std::pair<std::size_t, std::size_t> write_edn(const std::vector<Operation>& history,
                                              const std::string& dir);

}  // namespace faultline
