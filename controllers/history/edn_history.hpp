#pragma once
// Reading a history that faultline did not record: Jepsen's history.edn,
// one operation map per form ({:process 0, :type :invoke, :f :write,
// :value 3, :time 1234, :index 0}), or one vector of them, as Jepsen, Knossos,
// Elle and Porcupine's converters write. Records such as
// #jepsen.history.Op{...} are read as their map.
//
// Mapped onto faultline's operations (history.hpp) so its checkers judge it:
//   :process :nemesis         the nemesis process
//   :f :read/:write/:cas      register operations; a :value [k v] (a
//                             jepsen.independent tuple) names the key, a bare
//                             value is the single register "register"
//   :f :add / :read #{...}    set operations (a bare value: the set "set")
//   :f :txn [[:append k v] [:r k [...]] ...]   list-append, keys as text
//   :f anything else          kept by name, its value converted to JSON
// Keywords become strings without the colon, sets become arrays.
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "controllers/history/history.hpp"

namespace faultline {

// An EDN text as JSON: a vector of the top-level forms. Throws
// std::invalid_argument naming the line and column of what it cannot read.
nlohmann::json parse_edn(std::string_view text);

// The operations of a Jepsen history; throws std::invalid_argument naming
// the operation (its position) that is not an operation map.
std::vector<Operation> operations_from_edn(std::string_view text);

}  // namespace faultline
