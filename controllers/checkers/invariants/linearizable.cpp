// linearizable: every key's reads, writes and compare-and-sets can be put in
// one order that respects real time and a register's rules (see
// ../linearizable.hpp).
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/linearizable.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

constexpr Duration kShortest{100}, kLongest{3600000};

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto budget = in.reader.duration(in.table, "budget", kShortest, kLongest))
    spec.budget = *budget;
  if (auto memory = in.reader.string(in.table, "memory")) {
    const auto bytes = parse_size(*memory);
    if (!bytes || *bytes < (1ULL << 20))
      in.reader.error(*in.table.get("memory"),
                      "'memory' = \"" + *memory + "\" is not a size of at least 1MiB; write e.g. \"1GiB\"");
    else
      spec.memory_budget = *bytes;
  }
}

CheckResult check(const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
  return check_linearizable(history, {.time = spec.budget, .memory_bytes = spec.memory_budget});
}

}  // namespace

const InvariantKind& linearizable_invariant() {
  static const InvariantKind kind{
      .name = "linearizable",
      .summary = "each key's operations take effect in one order that respects real time, as one "
                 "register would (Wing-Gong search with Lowe's memoization, key by key)",
      .keys = {{.name = "budget",
                .type = KeyType::duration,
                .description = "how long the search may take over all keys before it answers "
                               "unknown, naming the keys it did not decide",
                .default_value = format_duration(InvariantSpec{}.budget),
                .minimum = format_duration(kShortest),
                .maximum = format_duration(kLongest)},
               {.name = "memory",
                .type = KeyType::string,
                .description = "how much memory one key's search may take before it answers "
                               "unknown",
                .default_value = "\"1GiB\"",
                .minimum = "\"1MiB\""}},
      .workloads = {"kv", "register"},
      .read = read,
      .check = check,
  };
  return kind;
}

}  // namespace faultline
