#pragma once
// The workload kinds an experiment may name, as Jepsen names them, each a
// part: its name, what its sessions do, the operations it records (so a
// client kind can say what it carries and an invariant what it judges), and
// whether its keys may be customers'. Listed in workload_kinds.cpp; the
// generators that drive them are controllers/workload/*_workload.hpp.
//
// Value shapes in the history (operation_kinds.hpp names the f's):
//   kv, register  read [k, null] -> ok [k, v]; write [k, v];
//                 cas [k, [expected, new]] (register only)
//   set           add [k, element]; read [k, null] -> ok [k, [elements...]]
//   list-append   txn [["append", k, v], ["r", k, null], ...] -> ok with each
//                 "r" holding the list it read ([] when empty)
// and after the heal, final-read [k, null] -> ok [k, what k holds] in every
// region, through the same client.
#include <string>
#include <string_view>
#include <vector>

namespace faultline {

struct WorkloadKind {
  std::string name;
  std::string summary;                  // one line: what its sessions do
  std::vector<std::string> operations;  // the f's its sessions invoke
  // Whether data = "customers" applies (the reference store's customers:
  // sign-up and session tokens).
  bool customers = false;
  // "none": no sessions at all (services, faults and health only).
  bool drives_sessions = true;
};

const std::vector<const WorkloadKind*>& workload_kinds();
const WorkloadKind* find_workload_kind(std::string_view name);
std::vector<std::string> workload_kind_names();

}  // namespace faultline
