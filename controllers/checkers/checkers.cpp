#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <set>

#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/final_state.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/checkers/writes.hpp"
#include "controllers/experiment/parse.hpp"

namespace faultline {

const char* validity_name(Validity v) {
  switch (v) {
    case Validity::holds:
      return "holds";
    case Validity::violated:
      return "violated";
    case Validity::unknown:
      return "unknown";
  }
  return "?";
}

std::string judged_text(const CheckResult& r) {
  return std::to_string(r.judged) + " " + (r.judged_what.empty() ? "operations" : r.judged_what);
}

namespace {

std::string ms_text(std::int64_t ns) { return format_duration(Duration(ns / 1000000)); }

// How many lost writes verdict.json names (the witness shows three in full).
constexpr std::size_t kLostWritesNamed = 20;

}  // namespace

FinalState final_state(const CompactHistory& history) {
  FinalState state;
  for (const auto& op : history.ops()) {
    if (op.f != history.f_final_read || !op.is_kv() || op.type == OpType::invoke) continue;
    state.regions.insert(op.region);
    state.keys.insert(op.key);
    state.asked[op.key].insert(op.region);
    if (op.type == OpType::ok) state.reads[{op.region, op.key}] = &op;  // later replace earlier
  }
  return state;
}

CheckResult check_convergence(const CompactHistory& history, Duration within) {
  CheckResult result;
  result.invariant = "convergence";
  result.judged_what = "keys holding a value";

  std::optional<std::int64_t> healed_at;
  for (const auto& op : history.ops())
    if (op.nemesis() && op.f == history.f_heal && op.type == OpType::ok) healed_at = op.time;
  if (!healed_at) {
    result.summary = "no heal in the history: cannot say when convergence should start";
    return result;
  }
  const FinalState all = final_state(history);
  if (all.reads.empty()) {
    result.summary = "no final read succeeded: cannot compare the regions";
    return result;
  }
  // Replay the final reads in order; the first moment at which every region
  // holds the same value for every key is when the regions converged.
  std::map<std::pair<std::uint32_t, std::uint32_t>, const CompactOp*> latest;
  // When the regions last came to agree (a plain pair, not std::optional:
  // GCC 12 takes the latter for maybe-uninitialized across the returns below).
  bool converged = false;
  std::int64_t converged_at = 0;
  auto agree = [&] {
    for (const auto& [key, regions] : all.asked) {
      const CompactOp* first = nullptr;
      for (auto region : regions) {
        auto it = latest.find({region, key});
        if (it == latest.end()) return false;
        if (first == nullptr)
          first = it->second;
        else if (!history.same_value(*first, *it->second))
          return false;
      }
    }
    return true;
  };
  // Over time, how many keys two regions' latest final reads disagree on (a
  // key one region has not answered for yet does not count yet).
  SeriesBuilder differing("keys the regions disagree on in their final reads, after the heal",
                          "keys differing", history_end_ns(history), SeriesFold::max);
  differing.mark(*healed_at, "heal");
  std::set<std::uint32_t> differ_now;
  auto key_differs = [&](std::uint32_t key) {
    const CompactOp* first = nullptr;
    for (auto region : all.asked.at(key)) {
      auto it = latest.find({region, key});
      if (it == latest.end()) continue;
      if (first == nullptr)
        first = it->second;
      else if (!history.same_value(*first, *it->second))
        return true;
    }
    return false;
  };
  std::int64_t last_time = 0;
  for (const auto& op : history.ops()) {
    last_time = std::max(last_time, op.time);
    if (op.f != history.f_final_read || op.type != OpType::ok || !op.is_kv()) continue;
    latest[{op.region, op.key}] = &op;
    if (key_differs(op.key))
      differ_now.insert(op.key);
    else
      differ_now.erase(op.key);
    differing.add("", op.time, static_cast<double>(differ_now.size()));
    if (!converged && agree()) {
      converged = true;
      converged_at = op.time;
    } else if (converged && !agree()) {
      converged = false;  // diverged again
    }
  }

  // Keys some region holds a value for: agreement on keys that are empty
  // everywhere says nothing about replication (every write may have failed).
  std::set<std::uint32_t> holding;
  for (const auto& [where, read] : all.reads)
    if (read->value_kind != ValueKind::null) holding.insert(where.second);
  result.judged = holding.size();
  result.judged_what = "keys holding a value";
  result.details["regions"] = all.regions.size();
  result.details["keys"] = all.keys.size();
  result.details["keys_holding_a_value"] = holding.size();
  result.details["bound_ms"] = within.count();
  if (converged && holding.empty()) {
    result.summary = "the regions agree only that all " + std::to_string(all.keys.size()) +
                     " keys are empty: no value to compare (did any write succeed?)";
    result.series.push_back(differing.build());
    return result;
  }
  if (!converged) {
    // Unknown if some region was never read; violated if all were and differ.
    for (const auto& [key, regions] : all.asked)
      for (auto region : regions)
        if (!all.reads.count({region, key})) {
          result.summary = "region " + history.name(region) + " never answered a final read of " +
                           history.name(key);
          result.series.push_back(differing.build());
          return result;
        }
    int diverged = 0;
    for (const auto& [key, regions] : all.asked) {
      const CompactOp* first = nullptr;
      bool differs = false;
      for (auto region : regions) {
        const CompactOp* read = all.reads.at({region, key});
        if (first == nullptr)
          first = read;
        else if (!history.same_value(*first, *read))
          differs = true;
      }
      if (differs && diverged++ == 0)
        for (auto region : regions) result.witness.push_back(history.operation(*all.reads.at({region, key})));
    }
    result.validity = Validity::violated;
    result.details["diverged_keys"] = diverged;
    result.summary = std::to_string(diverged) + " of " + std::to_string(all.keys.size()) +
                     " keys still differ between regions " + ms_text(last_time - *healed_at) +
                     " after the heal";
    result.series.push_back(differing.build());
    return result;
  }
  const std::int64_t took = std::max<std::int64_t>(0, converged_at - *healed_at);
  differing.mark(converged_at, "regions agree");
  result.details["converged_after_ms"] = took / 1000000;
  if (took > std::chrono::duration_cast<std::chrono::nanoseconds>(within).count()) {
    result.validity = Validity::violated;
    result.summary = "regions agreed " + ms_text(took) + " after the heal, over the bound of " +
                     format_duration(within);
    result.series.push_back(differing.build());
    return result;
  }
  result.series.push_back(differing.build());
  result.validity = Validity::holds;
  result.summary = std::to_string(all.regions.size()) + " regions agree on " +
                   std::to_string(all.keys.size()) + " keys, " + ms_text(took) +
                   " after the heal (bound " + format_duration(within) + ")";
  return result;
}

ReadStaleness read_staleness(const CompactHistory& history, const WriteIndex& index) {
  // Per key, its writes in invocation order (the history's order) and, from
  // each position on, the earliest moment one of them was acknowledged.
  struct KeyWrites {
    std::vector<std::int64_t> invoked, earliest_ack_from;
  };
  std::unordered_map<std::uint32_t, KeyWrites> by_key;
  for (const auto& w : index.writes()) {
    KeyWrites& k = by_key[w.key()];
    k.invoked.push_back(w.invoke->time);
    k.earliest_ack_from.push_back(w.completed_at());
  }
  for (auto& [key, k] : by_key)
    for (std::size_t i = k.earliest_ack_from.size(); i-- > 1;)
      k.earliest_ack_from[i - 1] = std::min(k.earliest_ack_from[i - 1], k.earliest_ack_from[i]);

  ReadStaleness out;
  const std::int64_t end_ns = history_end_ns(history);
  SeriesBuilder stale_reads("stale reads per region", "stale reads", end_ns);
  SeriesBuilder staleness("how stale reads were, per region",
                          "ms stale", end_ns, SeriesFold::max);
  std::vector<char> seen(index.writes().size());
  std::unordered_map<std::int64_t, std::int64_t> invoked;  // process -> read invoked at
  for (const auto& op : history.ops()) {
    if (op.f != history.f_read && op.f != history.f_final_read) continue;
    if (op.type == OpType::invoke) {
      invoked[op.process] = op.time;
      continue;
    }
    if (op.type != OpType::ok || !op.is_kv()) continue;
    const Write* writer = index.writer_of(op);
    if (writer != nullptr) seen[index.position(writer)] = 1;
    if (op.f != history.f_read) continue;
    auto k = by_key.find(op.key);
    auto inv = invoked.find(op.process);
    if (k == by_key.end() || inv == invoked.end()) continue;
    // Writes certainly newer than what was read: invoked after its writer was
    // acknowledged (all of them, for an empty read).
    const std::int64_t floor = writer == nullptr ? std::numeric_limits<std::int64_t>::min()
                                                 : writer->completed_at();
    const auto first = std::upper_bound(k->second.invoked.begin(), k->second.invoked.end(), floor);
    if (first == k->second.invoked.end()) continue;
    const std::int64_t acked =
        k->second.earliest_ack_from[static_cast<std::size_t>(first - k->second.invoked.begin())];
    if (acked < inv->second) {
      ++out.stale_reads;
      out.max_stale_ns = std::max(out.max_stale_ns, inv->second - acked);
      const std::string& region = history.name(op.region);
      stale_reads.add(region, inv->second);
      staleness.add(region, inv->second, static_cast<double>(inv->second - acked) / 1e6);
    }
  }
  out.stale_over_time = stale_reads.build();
  out.staleness_over_time = staleness.build();
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (index.writes()[i].acknowledged() && !seen[i]) ++out.never_read;
  return out;
}

CheckResult check_no_lost_writes(const CompactHistory& history) {
  CheckResult result;
  result.invariant = "no-lost-writes";
  const WriteIndex index(history);
  const FinalState state = final_state(history);

  // Per acknowledged write and region that holds its key at the end:
  //   kept        the final value is its value, or a value not certainly older;
  //   lost here   the key is empty, or its value's writer completed before
  //               this write was invoked.
  // A write is lost when it is lost in every region that holds its key: the
  // system as a whole forgot it. Lost in some regions only is divergence,
  // which convergence judges; it is counted here as "stale".
  std::size_t acknowledged = 0, lost = 0, stale = 0, undecided = 0, failed = 0, phantoms = 0;
  // The recovery point: lost writes span from the first one's invocation to
  // the last one's acknowledgement, and every write named.
  std::int64_t first_lost_ns = std::numeric_limits<std::int64_t>::max(), last_lost_ns = 0;
  nlohmann::json lost_writes = nlohmann::json::array();
  SeriesBuilder lost_series("lost writes, at their acknowledgement, by the client's region",
                            "lost writes", history_end_ns(history));
  for (const auto& w : index.writes()) {
    if (w.completion != nullptr && w.completion->type == OpType::fail) ++failed;
    if (!w.acknowledged()) continue;
    ++acknowledged;
    auto asked = state.asked.find(w.key());
    if (asked == state.asked.end()) {
      ++undecided;
      continue;
    }
    std::size_t kept = 0, lost_in = 0, unread = 0;
    const CompactOp* proof = nullptr;
    for (auto region : asked->second) {
      auto it = state.reads.find({region, w.key()});
      if (it == state.reads.end()) {
        ++unread;
        continue;
      }
      const CompactOp& final_read = *it->second;
      if (history.same_value(final_read, *w.invoke)) {
        ++kept;
        continue;
      }
      const Write* winner = index.writer_of(final_read);
      if (final_read.value_kind != ValueKind::null && winner == nullptr) {
        ++kept;  // a phantom (counted below), not a loss
        continue;
      }
      if (winner == nullptr || winner->completed_at() < w.invoke->time) {
        ++lost_in;
        proof = &final_read;
      } else {
        ++kept;
      }
    }
    if (kept == 0 && lost_in > 0 && unread == 0) {
      first_lost_ns = std::min(first_lost_ns, w.invoke->time);
      last_lost_ns = std::max(last_lost_ns, w.completion->time);
      lost_series.add(history.name(w.completion->region), w.completion->time);
      if (lost == 0) lost_series.mark(w.completion->time, "first lost write acknowledged");
      if (lost_writes.size() < kLostWritesNamed) {
        const Operation acked = history.operation(*w.completion);
        lost_writes.push_back({{"value", acked.value},
                               {"region", acked.region},
                               {"process", acked.process},
                               {"acknowledged_ms", acked.time / 1000000}});
      }
      if (lost++ < 3) {
        result.witness.push_back(history.operation(*w.invoke));
        result.witness.push_back(history.operation(*w.completion));
        result.witness.push_back(history.operation(*proof));
      }
    } else if (kept == 0 && lost_in > 0) {
      ++undecided;  // lost wherever it was read; some region never answered
    } else if (lost_in > 0) {
      ++stale;
    } else if (kept == 0) {
      ++undecided;
    }
  }

  // A final value that no write produced (failed writes excluded) is a
  // phantom, whether or not any write of its key was acknowledged: a store
  // that refuses every write yet applies them is caught even so.
  for (const auto& [where, final_read] : state.reads) {
    if (final_read->value_kind == ValueKind::null || index.writer_of(*final_read) != nullptr)
      continue;
    if (phantoms++ < 3) result.witness.push_back(history.operation(*final_read));
  }

  ReadStaleness reads = read_staleness(history, index);
  if (lost > 0) lost_series.mark(last_lost_ns, "last lost write acknowledged");
  result.series.push_back(lost_series.build());
  result.series.push_back(std::move(reads.stale_over_time));
  result.series.push_back(std::move(reads.staleness_over_time));
  result.judged = acknowledged;
  result.judged_what = "acknowledged writes";
  result.details = {{"acknowledged", acknowledged},
                    {"failed", failed},
                    {"lost", lost},
                    {"stale_in_some_regions", stale},
                    {"phantom_values", phantoms},
                    {"undecided", undecided},
                    {"regions", state.regions.size()},
                    {"stale_reads", reads.stale_reads},
                    {"max_stale_ms", reads.max_stale_ns / 1000000},
                    {"never_read", reads.never_read}};
  if (lost > 0) {
    result.details["lost_window_ms"] = (last_lost_ns - first_lost_ns) / 1000000;
    result.details["first_lost_ms"] = first_lost_ns / 1000000;
    result.details["last_lost_ms"] = last_lost_ns / 1000000;
    result.details["lost_writes"] = lost_writes;
  }
  if (lost > 0 || phantoms > 0) {
    result.validity = Validity::violated;
    result.summary =
        std::to_string(lost) + " of " + std::to_string(acknowledged) + " acknowledged writes lost" +
        (lost ? ", made over " + ms_text(last_lost_ns - first_lost_ns) + " (" +
                    ms_text(first_lost_ns) + " to " + ms_text(last_lost_ns) +
                    " into the run: the recovery point)"
              : "") +
        (phantoms ? ", " + std::to_string(phantoms) + " final values written by no one" : "");
  } else if (acknowledged == 0) {
    // Nothing to lose: a run in which every write was refused (a wrong port,
    // a path the service does not serve) must not pass as "no write lost".
    result.summary = "no acknowledged write: nothing to judge (" + std::to_string(failed) +
                     " writes failed, " +
                     std::to_string(index.writes().size() - failed) + " others unacknowledged)";
  } else if (state.regions.empty() || undecided > 0) {
    result.validity = Validity::unknown;
    result.summary = state.regions.empty()
                         ? "no final reads: cannot tell what survived"
                         : std::to_string(undecided) +
                               " acknowledged writes cannot be judged: a region holding them "
                               "never answered a final read";
  } else {
    result.validity = Validity::holds;
    result.summary = "all " + std::to_string(acknowledged) + " acknowledged writes survive (" +
                     std::to_string(state.regions.size()) + " regions read)";
    if (reads.stale_reads > 0)
      result.summary += "; " + std::to_string(reads.stale_reads) + " reads were stale, up to " +
                        ms_text(reads.max_stale_ns) + " after a newer write was acknowledged";
  }
  return result;
}

CheckResult check_convergence(const std::vector<Operation>& history, Duration within) {
  return check_convergence(CompactHistory::from(history), within);
}

CheckResult check_no_lost_writes(const std::vector<Operation>& history) {
  return check_no_lost_writes(CompactHistory::from(history));
}

}  // namespace faultline
