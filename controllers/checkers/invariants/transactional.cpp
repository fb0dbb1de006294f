// serializable, snapshot-isolation, strict-serializable: the isolation of a
// list-append history's transactions, Elle's way (see ../list_append.hpp).
// One analysis, three models: each forbids its own set of anomalies.
#include "controllers/checkers/invariant_kind.hpp"
#include "controllers/checkers/list_append.hpp"
#include "controllers/experiment/units.hpp"

namespace faultline {

namespace {

// The same bounds as linearizable's budget: one key, one meaning.
constexpr Duration kShortestBudget{100}, kLongestBudget{3600000};

void read(const InvariantTable& in, InvariantSpec& spec) {
  if (auto budget = in.reader.duration(in.table, "budget", kShortestBudget, kLongestBudget))
    spec.budget = *budget;
}

CheckResult check(IsolationModel model, const InvariantSpec& spec, const CompactHistory& history) {
  // A long run's table comes straight from its history.jsonl (the JSON the
  // compact history holds of a million transactions is gigabytes), once for
  // the three models; the witnesses come back through the compact history.
  const TxnTable& table = history.derived<TxnTable>([&] {
    return history.path().empty() ? TxnTable::from(history) : TxnTable::read(history.path());
  });
  return check_list_append(table, model, spec.budget,
                           [&](std::uint64_t index) { return history.operation(index); });
}

KeySpec budget_key() {
  return {.name = "budget",
          .type = KeyType::duration,
          .description =
              "how long the search for anomalies may take; past it the verdict is "
              "unknown, naming what it did not finish",
          .default_value = format_duration(InvariantSpec{}.budget),
          .minimum = format_duration(kShortestBudget),
          .maximum = format_duration(kLongestBudget)};
}

}  // namespace

const InvariantKind& serializable_invariant() {
  static const InvariantKind kind{
      .name = "serializable",
      .summary =
          "the list-append transactions have a serial order: no G0, G1a, G1b, G1c, G-single, "
          "G-nonadjacent, G2-item",
      .keys = {budget_key()},
      .workloads = {"list-append"},
      .read = read,
      .check =
          [](const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
            return check(IsolationModel::serializable, spec, history);
          },
  };
  return kind;
}

const InvariantKind& snapshot_isolation_invariant() {
  static const InvariantKind kind{
      .name = "snapshot-isolation",
      .summary =
          "the list-append transactions are snapshot isolated: no G0, G1a, G1b, G1c, G-single, "
          "G-nonadjacent (G2-item, write skew, allowed)",
      .keys = {budget_key()},
      .workloads = {"list-append"},
      .read = read,
      .check =
          [](const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
            return check(IsolationModel::snapshot_isolation, spec, history);
          },
  };
  return kind;
}

const InvariantKind& strict_serializable_invariant() {
  static const InvariantKind kind{
      .name = "strict-serializable",
      .summary =
          "the list-append transactions have a serial order that keeps real time: serializable, "
          "and no cycle through real-time order",
      .keys = {budget_key()},
      .workloads = {"list-append"},
      .read = read,
      .check =
          [](const InvariantSpec& spec, const Experiment&, const CompactHistory& history) {
            return check(IsolationModel::strict_serializable, spec, history);
          },
  };
  return kind;
}

}  // namespace faultline
