#include "controllers/experiment/workload_kinds.hpp"

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

const std::vector<const WorkloadKind*>& workload_kinds() {
  static const WorkloadKind kv{
      .name = "kv",
      .summary = "reads and writes of a few keys, every written value unique",
      .operations = {kReadF, kWriteF},
      .customers = true,
  };
  static const WorkloadKind register_kind{
      .name = "register",
      .summary = "independent registers: read, write and compare-and-set (Jepsen's register)",
      .operations = {kReadF, kWriteF, kCasF},
  };
  static const WorkloadKind set{
      .name = "set",
      .summary = "independent sets: add unique elements, read the whole set (Jepsen's set)",
      .operations = {kAddF, kReadF},
  };
  static const WorkloadKind list_append{
      .name = "list-append",
      .summary = "transactions of appends and reads over several lists (Elle's list-append)",
      .operations = {kTxnF},
  };
  static const WorkloadKind none{
      .name = "none",
      .summary = "no clients: services, faults and health checks only",
      .drives_sessions = false,
  };
  static const std::vector<const WorkloadKind*> kinds{&kv, &register_kind, &set, &list_append,
                                                      &none};
  return kinds;
}

const WorkloadKind* find_workload_kind(std::string_view name) {
  for (const WorkloadKind* kind : workload_kinds())
    if (kind->name == name) return kind;
  return nullptr;
}

std::vector<std::string> workload_kind_names() {
  std::vector<std::string> names;
  for (const WorkloadKind* kind : workload_kinds()) names.push_back(kind->name);
  return names;
}

}  // namespace faultline
