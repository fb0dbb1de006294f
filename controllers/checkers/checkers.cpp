#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

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

namespace {

std::string ms_text(std::int64_t ns) { return format_duration(Duration(ns / 1000000)); }

}  // namespace

FinalState final_state(const std::vector<Operation>& history) {
  FinalState state;
  for (const auto& op : history) {
    if (op.f != kFinalReadF || !is_kv_value(op.value)) continue;
    state.regions.insert(op.region);
    const std::string key = op.value[0].get<std::string>();
    state.keys.insert(key);
    state.asked[key].insert(op.region);
    if (op.type == OpType::ok) state.reads[{op.region, key}] = &op;  // later reads replace earlier
  }
  return state;
}

CheckResult check_convergence(const std::vector<Operation>& history, Duration within) {
  CheckResult result;
  result.invariant = "convergence";

  std::optional<std::int64_t> healed_at;
  for (const auto& op : history)
    if (op.process == kNemesisProcess && op.f == kHealF && op.type == OpType::ok)
      healed_at = op.time;
  if (!healed_at) {
    result.summary = "no heal in the history: cannot say when convergence should start";
    return result;
  }

  // Replay the final reads in order; the first moment at which every region
  // holds the same value for every key is when the regions converged.
  const FinalState all = final_state(history);
  if (all.reads.empty()) {
    result.summary = "no final read succeeded: cannot compare the regions";
    return result;
  }
  std::map<std::pair<std::string, std::string>, nlohmann::json> latest;
  std::optional<std::int64_t> converged_at;
  auto agree = [&] {
    for (const auto& key : all.keys) {
      const nlohmann::json* first = nullptr;
      for (const auto& region : all.asked.at(key)) {
        auto it = latest.find({region, key});
        if (it == latest.end()) return false;
        if (first == nullptr)
          first = &it->second;
        else if (*first != it->second)
          return false;
      }
    }
    return true;
  };
  for (const auto& op : history) {
    if (op.f != kFinalReadF || op.type != OpType::ok || !is_kv_value(op.value)) continue;
    latest[{op.region, op.value[0].get<std::string>()}] = op.value[1];
    if (!converged_at && agree())
      converged_at = op.time;
    else if (converged_at && !agree())
      converged_at.reset();  // diverged again
  }

  result.details["regions"] = all.regions.size();
  result.details["keys"] = all.keys.size();
  result.details["bound_ms"] = within.count();
  if (!converged_at) {
    // Unknown if some region was never read; violated if all were and differ.
    for (const auto& key : all.keys)
      for (const auto& region : all.asked.at(key))
        if (!all.reads.count({region, key})) {
          result.summary = "region " + region + " never answered a final read of " + key;
          return result;
        }
    int differing = 0;
    for (const auto& key : all.keys) {
      std::set<std::string> values;
      for (const auto& region : all.asked.at(key))
        values.insert(all.reads.at({region, key})->value[1].dump());
      if (values.size() > 1) {
        if (differing++ == 0)
          for (const auto& region : all.asked.at(key))
            result.witness.push_back(*all.reads.at({region, key}));
      }
    }
    result.validity = Validity::violated;
    result.details["diverged_keys"] = differing;
    result.summary = std::to_string(differing) + " of " + std::to_string(all.keys.size()) +
                     " keys still differ between regions " +
                     ms_text(history.back().time - *healed_at) + " after the heal";
    return result;
  }
  const std::int64_t took = std::max<std::int64_t>(0, *converged_at - *healed_at);
  result.details["converged_after_ms"] = took / 1000000;
  if (took > std::chrono::duration_cast<std::chrono::nanoseconds>(within).count()) {
    result.validity = Validity::violated;
    result.summary = "regions agreed " + ms_text(took) + " after the heal, over the bound of " +
                     format_duration(within);
    return result;
  }
  result.validity = Validity::holds;
  result.summary = std::to_string(all.regions.size()) + " regions agree on " +
                   std::to_string(all.keys.size()) + " keys, " + ms_text(took) +
                   " after the heal (bound " + format_duration(within) + ")";
  return result;
}

ReadStaleness read_staleness(const std::vector<Operation>& history, const WriteIndex& index) {
  // Per key, its writes in invocation order (the history's order) and, from
  // each position on, the earliest moment one of them was acknowledged.
  struct KeyWrites {
    std::vector<std::int64_t> invoked, earliest_ack_from;
  };
  std::unordered_map<std::string_view, KeyWrites> by_key;
  for (const auto& w : index.writes()) {
    KeyWrites& k = by_key[w.key()];
    k.invoked.push_back(w.invoke->time);
    k.earliest_ack_from.push_back(w.completed_at());
  }
  for (auto& [key, k] : by_key)
    for (std::size_t i = k.earliest_ack_from.size(); i-- > 1;)
      k.earliest_ack_from[i - 1] = std::min(k.earliest_ack_from[i - 1], k.earliest_ack_from[i]);

  ReadStaleness out;
  const Write* const first_write = index.writes().data();
  std::vector<char> seen(index.writes().size());  // by position in index.writes()
  std::unordered_map<std::int64_t, std::int64_t> invoked;  // process -> read invoked at
  for (const auto& op : history) {
    if (op.f != "read" && op.f != kFinalReadF) continue;
    if (op.type == OpType::invoke) {
      invoked[op.process] = op.time;
      continue;
    }
    if (op.type != OpType::ok || !is_kv_value(op.value)) continue;
    const std::string& key = op.value[0].get_ref<const std::string&>();
    const Write* writer = op.value[1].is_null() ? nullptr : index.writer_of(key, op.value[1]);
    if (writer != nullptr) seen[static_cast<std::size_t>(writer - first_write)] = 1;
    if (op.f != "read") continue;
    auto k = by_key.find(key);
    auto inv = invoked.find(op.process);
    if (k == by_key.end() || inv == invoked.end()) continue;
    // Writes certainly newer than what was read: invoked after its writer was
    // acknowledged (all of them, for an empty read).
    const std::int64_t floor = writer == nullptr ? std::numeric_limits<std::int64_t>::min()
                                                 : writer->completed_at();
    const auto first = std::upper_bound(k->second.invoked.begin(), k->second.invoked.end(), floor);
    if (first == k->second.invoked.end()) continue;
    const std::int64_t acked = k->second.earliest_ack_from[static_cast<std::size_t>(
        first - k->second.invoked.begin())];
    if (acked < inv->second) {
      ++out.stale_reads;
      out.max_stale_ns = std::max(out.max_stale_ns, inv->second - acked);
    }
  }
  for (std::size_t i = 0; i < seen.size(); ++i)
    if (index.writes()[i].acknowledged() && !seen[i]) ++out.never_read;
  return out;
}

CheckResult check_no_lost_writes(const std::vector<Operation>& history) {
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
  std::size_t acknowledged = 0, lost = 0, stale = 0, undecided = 0, phantoms = 0;
  std::set<std::pair<std::string, std::string>> phantom_seen;
  for (const auto& w : index.writes()) {
    if (!w.acknowledged()) continue;
    ++acknowledged;
    const std::string& key = w.key();
    auto asked = state.asked.find(key);
    if (asked == state.asked.end()) {
      ++undecided;
      continue;
    }
    std::size_t kept = 0, lost_in = 0, unread = 0;
    const Operation* proof = nullptr;
    for (const auto& region : asked->second) {
      auto it = state.reads.find({region, key});
      if (it == state.reads.end()) {
        ++unread;
        continue;
      }
      const Operation& final_read = *it->second;
      const nlohmann::json& final_value = final_read.value[1];
      if (final_value == w.value()) {
        ++kept;
        continue;
      }
      const Write* winner = final_value.is_null() ? nullptr : index.writer_of(key, final_value);
      if (!final_value.is_null() && winner == nullptr) {
        // A value no write produced: a phantom, whatever happened to this write.
        if (phantom_seen.insert({region, key + "=" + final_value.dump()}).second) {
          ++phantoms;
          if (result.witness.size() < 9) result.witness.push_back(final_read);
        }
        ++kept;  // judged as a phantom, not as a loss
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
      if (lost++ < 3) {
        result.witness.push_back(*w.invoke);
        result.witness.push_back(*w.completion);
        result.witness.push_back(*proof);
      }
    } else if (kept == 0 && lost_in > 0) {
      ++undecided;  // lost wherever it was read; some region never answered
    } else if (lost_in > 0) {
      ++stale;
    } else if (kept == 0) {
      ++undecided;
    }
  }

  const ReadStaleness reads = read_staleness(history, index);
  result.details = {{"acknowledged", acknowledged},
                    {"lost", lost},
                    {"stale_in_some_regions", stale},
                    {"phantom_values", phantoms},
                    {"undecided", undecided},
                    {"regions", state.regions.size()},
                    {"stale_reads", reads.stale_reads},
                    {"max_stale_ms", reads.max_stale_ns / 1000000},
                    {"never_read", reads.never_read}};
  if (lost > 0 || phantoms > 0) {
    result.validity = Validity::violated;
    result.summary =
        std::to_string(lost) + " of " + std::to_string(acknowledged) + " acknowledged writes lost" +
        (phantoms ? ", " + std::to_string(phantoms) + " final values written by no one" : "");
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
      result.summary += "; " + std::to_string(reads.stale_reads) +
                        " reads were stale, up to " + ms_text(reads.max_stale_ns) +
                        " after a newer write was acknowledged";
  }
  return result;
}

}  // namespace faultline
