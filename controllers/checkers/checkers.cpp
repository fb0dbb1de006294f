#include <algorithm>
#include <limits>
#include <optional>
#include <unordered_map>

#include "controllers/checkers/convergence.hpp"
#include "controllers/checkers/final_state.hpp"
#include "controllers/checkers/no_lost_writes.hpp"
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

bool is_kv_value(const nlohmann::json& v) {
  return v.is_array() && v.size() == 2 && v[0].is_string();
}

std::string ms_text(std::int64_t ns) { return format_duration(Duration(ns / 1000000)); }

}  // namespace

FinalState final_state(const std::vector<Operation>& history) {
  FinalState state;
  for (const auto& op : history) {
    if (op.f != kFinalReadF || !is_kv_value(op.value)) continue;
    state.regions.insert(op.region);
    const std::string key = op.value[0].get<std::string>();
    state.keys.insert(key);
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
      for (const auto& region : all.regions) {
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
      for (const auto& region : all.regions)
        if (!all.reads.count({region, key})) {
          result.summary = "region " + region + " never answered a final read of " + key;
          return result;
        }
    int differing = 0;
    for (const auto& key : all.keys) {
      std::set<std::string> values;
      for (const auto& region : all.regions)
        values.insert(all.reads.at({region, key})->value[1].dump());
      if (values.size() > 1) {
        if (differing++ == 0)
          for (const auto& region : all.regions)
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

CheckResult check_no_lost_writes(const std::vector<Operation>& history) {
  CheckResult result;
  result.invariant = "no-lost-writes";

  struct Write {
    const Operation* invoke = nullptr;
    const Operation* completion = nullptr;  // null: never completed
  };
  // Pair each write's invoke with its completion by process.
  std::vector<Write> writes;
  std::unordered_map<std::int64_t, std::size_t> open;  // process -> index in writes
  for (const auto& op : history) {
    if (op.f != "write" || op.process == kNemesisProcess) continue;
    if (op.type == OpType::invoke) {
      open[op.process] = writes.size();
      writes.push_back({&op, nullptr});
    } else if (auto it = open.find(op.process); it != open.end()) {
      writes[it->second].completion = &op;
      open.erase(it);
    }
  }
  // Who wrote each (key, value): values are unique per run.
  std::map<std::pair<std::string, std::string>, const Write*> writer;
  for (const auto& w : writes) {
    if (w.completion && w.completion->type == OpType::fail) continue;  // certainly not applied
    if (!is_kv_value(w.invoke->value)) continue;
    writer[{w.invoke->value[0].get<std::string>(), w.invoke->value[1].dump()}] = &w;
  }

  const FinalState state = final_state(history);
  std::size_t acknowledged = 0, lost = 0, undecided = 0, phantoms = 0;
  auto completed_at = [](const Write& w) {
    return w.completion && w.completion->type == OpType::ok
               ? w.completion->time
               : std::numeric_limits<std::int64_t>::max();
  };
  for (const auto& w : writes) {
    if (!w.completion || w.completion->type != OpType::ok || !is_kv_value(w.invoke->value))
      continue;
    ++acknowledged;
    const std::string key = w.invoke->value[0].get<std::string>();
    bool lost_here = false;
    for (const auto& region : state.regions) {
      auto it = state.reads.find({region, key});
      if (it == state.reads.end()) {
        ++undecided;
        continue;
      }
      const Operation& final_read = *it->second;
      const nlohmann::json& final_value = final_read.value[1];
      if (final_value == w.invoke->value[1]) continue;
      const Write* winner = nullptr;
      if (!final_value.is_null()) {
        auto found = writer.find({key, final_value.dump()});
        if (found == writer.end()) {
          if (phantoms++ == 0 && result.witness.size() < 6) result.witness.push_back(final_read);
          continue;
        }
        winner = found->second;
      }
      // Lost: the key is empty, or its value came from a write that had
      // finished before this acknowledged write began.
      if (winner == nullptr || completed_at(*winner) < w.invoke->time) {
        if (!lost_here && result.witness.size() < 6) {
          result.witness.push_back(*w.invoke);
          result.witness.push_back(*w.completion);
          result.witness.push_back(final_read);
        }
        lost_here = true;
      }
    }
    if (lost_here) ++lost;
  }

  result.details = {{"acknowledged", acknowledged},
                    {"lost", lost},
                    {"phantom_values", phantoms},
                    {"regions", state.regions.size()}};
  if (lost > 0 || phantoms > 0) {
    result.validity = Validity::violated;
    result.summary =
        std::to_string(lost) + " of " + std::to_string(acknowledged) + " acknowledged writes lost" +
        (phantoms ? ", " + std::to_string(phantoms) + " final values written by no one" : "");
  } else if (state.regions.empty() || undecided > 0) {
    result.validity = Validity::unknown;
    result.summary = state.regions.empty()
                         ? "no final reads: cannot tell what survived"
                         : std::to_string(undecided) + " (write, region) pairs have no final read";
  } else {
    result.validity = Validity::holds;
    result.summary = "all " + std::to_string(acknowledged) + " acknowledged writes survive in " +
                     std::to_string(state.regions.size()) + " regions";
  }
  return result;
}

}  // namespace faultline
