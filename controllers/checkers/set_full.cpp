#include "controllers/checkers/set_full.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

struct Add {
  std::size_t invoke = SIZE_MAX;
  std::size_t completion = SIZE_MAX;  // SIZE_MAX: never completed
  OpType type = OpType::info;
};

struct Read {
  std::size_t invoke = SIZE_MAX;
  std::size_t completion = SIZE_MAX;
  std::int64_t began = 0;  // ns
  std::int64_t ended = 0;
};

// Flat vectors sorted once, not maps: a million elements in hash maps cost
// more in allocation than the judgement itself.
struct SetHistory {
  bool used = false;
  std::vector<std::pair<std::int64_t, Add>> adds;  // (element, its add)
  std::vector<Read> reads;                         // ok reads, in completion order
  // (element, a read that held it): by element, then by the read's rank in
  // invocation order once sorted.
  std::vector<std::pair<std::int64_t, std::uint32_t>> held;
};

enum class Fate { stable, stale, lost, never_read };

}  // namespace

CheckResult check_set(const CompactHistory& h, const SetCheckOptions& options) {
  CheckResult r;
  r.invariant = "set";
  r.judged_what = "added elements";
  const std::uint32_t f_add = h.symbol(kAddF);
  std::vector<SetHistory> sets;  // by key symbol
  auto set_of = [&](std::uint32_t key) -> SetHistory& {
    if (key >= sets.size()) sets.resize(key + 1);
    sets[key].used = true;
    return sets[key];
  };
  auto wanted = [&](const CompactOp& op) {
    return !op.nemesis() && op.is_kv() &&
           ((f_add != kNoSymbol && op.f == f_add) || op.f == h.f_read || op.f == h.f_final_read);
  };
  for_each_invocation(h, wanted, [&](std::size_t invoke, std::size_t completion) {
    const CompactOp& inv = h[invoke];
    SetHistory& set = set_of(inv.key);
    if (f_add != kNoSymbol && inv.f == f_add) {
      if (inv.value_kind != ValueKind::integer) return;
      // Never completed: its outcome is unknown.
      const OpType outcome = completion == SIZE_MAX ? OpType::info : h[completion].type;
      set.adds.push_back({inv.number, {invoke, completion, outcome}});
      return;
    }
    if (completion == SIZE_MAX || h[completion].type != OpType::ok) return;
    const nlohmann::json& value = h.other_value(h[completion]);
    if (!value.is_array()) return;  // not a set's read
    const auto index = static_cast<std::uint32_t>(set.reads.size());
    set.reads.push_back({invoke, completion, inv.time, h[completion].time});
    for (const auto& e : value)
      if (e.is_number_integer()) set.held.push_back({e.get<std::int64_t>(), index});
  });

  std::size_t stable = 0, stale = 0, lost = 0, never_read = 0, unexpected = 0, reads = 0, set_count = 0;
  std::int64_t worst_stale_ns = 0;
  nlohmann::json lost_examples = nlohmann::json::array();
  nlohmann::json unexpected_examples = nlohmann::json::array();
  constexpr std::size_t kExamples = 10;
  // Each element that went wrong, by its fate, at when it was known present
  // (an unexpected one: when a read first showed it).
  SeriesBuilder fates("elements lost, read stale or unexpected, by when they were known present",
                      "elements", history_end_ns(h));
  bool witnessed = false;
  auto witness = [&](std::initializer_list<std::size_t> indices) {
    if (witnessed) return;
    witnessed = true;
    for (std::size_t i : indices)
      if (i != SIZE_MAX) r.witness.push_back(h.operation(i));
  };
  for (std::uint32_t key = 0; key < sets.size(); ++key) {
    SetHistory& set = sets[key];
    if (!set.used) continue;
    ++set_count;
    // Reads were collected in completion order; judge them in invocation order.
    std::vector<std::uint32_t> order(set.reads.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return set.reads[a].began < set.reads[b].began;
    });
    std::vector<std::uint32_t> rank(order.size());
    for (std::uint32_t i = 0; i < order.size(); ++i) rank[order[i]] = i;
    reads += set.reads.size();
    for (auto& [element, read] : set.held) read = rank[read];
    std::sort(set.held.begin(), set.held.end());
    std::sort(set.adds.begin(), set.adds.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    const std::string& key_name = h.name(key);
    const auto total = static_cast<std::uint32_t>(order.size());
    // Walk adds and observations together, element by element.
    auto obs = set.held.begin();
    auto add_it = set.adds.begin();
    std::vector<std::uint32_t> held;  // the reads holding the element at hand, by rank
    while (obs != set.held.end() || add_it != set.adds.end()) {
      const std::int64_t element =
          add_it == set.adds.end() ? obs->first
          : obs == set.held.end()  ? add_it->first
                                   : std::min(obs->first, add_it->first);
      auto obs_end = obs;
      held.clear();
      while (obs_end != set.held.end() && obs_end->first == element) held.push_back((obs_end++)->second);
      obs = obs_end;
      const bool added = add_it != set.adds.end() && add_it->first == element;
      if (!added) {
        ++unexpected;
        const Read& read = set.reads[order[held.front()]];
        fates.add("unexpected", read.ended);
        if (unexpected_examples.size() < kExamples)
          unexpected_examples.push_back({{"key", key_name}, {"element", element}, {"read", read.completion}});
        witness({read.invoke, read.completion});
        continue;
      }
      const Add add = add_it->second;
      // Two adds of one element (a workload's values are unique): the first counts.
      while (add_it != set.adds.end() && add_it->first == element) ++add_it;
      held.erase(std::unique(held.begin(), held.end()), held.end());
      // Known present from the add's acknowledgement or the first read that saw it.
      std::int64_t known = INT64_MAX;
      if (add.type == OpType::ok) known = h[add.completion].time;
      if (!held.empty()) known = std::min(known, set.reads[order[held.front()]].ended);
      if (known == INT64_MAX) continue;  // a failed add, or an unknown one nobody saw
      // The reads that began after it was known, by rank.
      const auto first = static_cast<std::uint32_t>(
          std::partition_point(order.begin(), order.end(),
                               [&](std::uint32_t i) { return set.reads[i].began <= known; }) -
          order.begin());
      if (first == total) {
        ++never_read;
        continue;
      }
      const auto from = std::lower_bound(held.begin(), held.end(), first);
      const auto holding = static_cast<std::uint32_t>(held.end() - from);
      Fate fate = Fate::stable;
      if (holding == total - first) {
        fate = Fate::stable;
      } else if (holding == 0 || held.back() != total - 1) {
        fate = Fate::lost;
      } else {
        fate = Fate::stale;
        // The last read that missed it: the last gap among the reads holding it.
        std::uint32_t last_missing = first;
        std::uint32_t expect = first;
        for (auto it = from; it != held.end(); ++it) {
          if (*it != expect) last_missing = *it - 1;
          expect = *it + 1;
        }
        worst_stale_ns = std::max(worst_stale_ns, set.reads[order[last_missing]].began - known);
      }
      switch (fate) {
        case Fate::stable: ++stable; break;
        case Fate::stale:
          ++stale;
          fates.add("stale", known);
          break;
        case Fate::never_read: ++never_read; break;
        case Fate::lost: {
          ++lost;
          fates.add("lost", known);
          if (lost == 1) fates.mark(known, "first lost element known present");
          // The add, the last read that held it (if any) and the last read, which did not.
          const Read& last = set.reads[order[total - 1]];
          std::size_t held_at = SIZE_MAX;
          if (!held.empty()) held_at = set.reads[order[held.back()]].completion;
          if (lost_examples.size() < kExamples)
            lost_examples.push_back({{"key", key_name},
                                     {"element", element},
                                     {"add", add.completion == SIZE_MAX ? add.invoke : add.completion},
                                     {"last_read_holding", held_at == SIZE_MAX ? nlohmann::json() : nlohmann::json(held_at)},
                                     {"last_read", last.completion}});
          witness({add.invoke, add.completion, held_at, last.invoke, last.completion});
          break;
        }
      }
    }
  }
  r.series.push_back(fates.build());
  r.judged = stable + stale + lost;
  r.details = {{"sets", set_count},     {"reads", reads},           {"stable", stable},
               {"stale", stale},          {"lost", lost},             {"never_read", never_read},
               {"unexpected", unexpected}, {"worst_stale_ms", static_cast<double>(worst_stale_ns) / 1e6},
               {"lost_examples", lost_examples}, {"unexpected_examples", unexpected_examples}};
  char stale_text[96];
  std::snprintf(stale_text, sizeof stale_text, "%zu stale (worst %.0f ms after it was known)", stale,
                static_cast<double>(worst_stale_ns) / 1e6);
  const bool stale_fails = options.stale_is_violation && stale > 0;
  if (lost > 0 || unexpected > 0 || stale_fails) {
    r.validity = Validity::violated;
    r.summary = std::to_string(lost) + " acknowledged elements lost, " + std::to_string(unexpected) +
                " unexpected, " + stale_text;
    if (!lost_examples.empty())
      r.summary += "; e.g. " + lost_examples[0]["element"].dump() + " added to " +
                   lost_examples[0]["key"].get<std::string>() + ", then missing from every later read";
    else if (!unexpected_examples.empty())
      r.summary += "; e.g. " + unexpected_examples[0]["element"].dump() + " read from " +
                   unexpected_examples[0]["key"].get<std::string>() + ", never added";
    return r;
  }
  if (r.judged == 0) {
    r.validity = Validity::unknown;
    r.summary = never_read > 0 ? std::to_string(never_read) + " elements added, none read afterwards"
                               : "no element was added and read";
    return r;
  }
  r.validity = Validity::holds;
  r.summary = std::to_string(r.judged) + " elements judged: " + std::to_string(stable) + " stable, " +
              stale_text + ", none lost, none unexpected" +
              (never_read ? ", " + std::to_string(never_read) + " never read" : "");
  return r;
}

}  // namespace faultline
