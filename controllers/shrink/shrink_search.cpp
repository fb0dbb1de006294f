#include "controllers/shrink/shrink_search.hpp"

#include <algorithm>
#include <sstream>

#include "controllers/experiment/units.hpp"
#include "controllers/shrink/narrowing.hpp"

namespace faultline {

namespace {

// Faults are shortened to no less than this: shorter ones say little more.
constexpr Duration kShortestFor{500};
// The duration is cut to the last fault's start plus this, at least.
constexpr Duration kAfterLastStart{1000};
constexpr Duration kShortestDuration{2000};

Duration duration_key(const toml::table& fault, const char* key) {
  if (auto text = fault[key].value<std::string>())
    if (auto d = parse_duration(*text)) return *d;
  return Duration(0);
}

std::string label(const toml::table& fault) {
  return fault["kind"].value_or(std::string("?")) + " at " + format_duration(fault_at(fault));
}

std::string labels(const std::vector<toml::table>& faults) {
  std::string out;
  for (const auto& f : faults) out += (out.empty() ? "" : ", ") + label(f);
  return "[" + out + "]";
}

// `faults` split into `n` chunks as even as can be.
std::vector<std::vector<toml::table>> split(const std::vector<toml::table>& faults, std::size_t n) {
  std::vector<std::vector<toml::table>> chunks;
  std::size_t start = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t end = start + (faults.size() - start) / (n - i);
    chunks.emplace_back(faults.begin() + static_cast<std::ptrdiff_t>(start),
                        faults.begin() + static_cast<std::ptrdiff_t>(end));
    start = end;
  }
  return chunks;
}

std::vector<toml::table> without(const std::vector<std::vector<toml::table>>& chunks,
                                 std::size_t skip) {
  std::vector<toml::table> rest;
  for (std::size_t i = 0; i < chunks.size(); ++i)
    if (i != skip) rest.insert(rest.end(), chunks[i].begin(), chunks[i].end());
  return rest;
}

}  // namespace

Duration fault_at(const toml::table& fault) { return duration_key(fault, "at"); }
Duration fault_for(const toml::table& fault) { return duration_key(fault, "for"); }

std::string schedule_key(const Schedule& s) {
  std::ostringstream out;
  out << s.duration.count() << "\n";
  for (const auto& f : s.faults) out << f << "\n--\n";
  return out.str();
}

Shrinker::Shrinker(Schedule failing, Test test, ShrinkOptions options)
    : best_(std::move(failing)), test_(std::move(test)), options_(std::move(options)) {
  seen_[schedule_key(best_)] = Outcome::fails;  // what shrinking starts from
}

bool Shrinker::try_candidate(const Schedule& candidate, const std::string& change) {
  if (stopped_) return false;
  const std::string key = schedule_key(candidate);
  if (auto it = seen_.find(key); it != seen_.end()) return it->second == Outcome::fails;
  if (runs_ >= options_.max_runs || options_.out_of_time()) {
    stopped_ = true;
    return false;
  }
  Outcome outcome = test_(candidate);
  if (outcome == Outcome::stop) {
    stopped_ = true;
    return false;
  }
  seen_[key] = outcome;
  if (outcome != Outcome::invalid) ++runs_;
  if (outcome == Outcome::fails) {
    best_ = candidate;
    options_.on_better(best_, runs_);
  }
  options_.on_step({runs_, change, outcome, &best_});
  return outcome == Outcome::fails;
}

void Shrinker::ddmin() {
  std::size_t n = 2;
  while (best_.faults.size() >= 2 && !stopped()) {
    const std::vector<toml::table> current = best_.faults;
    n = std::min(n, current.size());
    const auto chunks = split(current, n);
    bool reduced = false;
    // A chunk alone still fails: keep it, start over at halves.
    for (std::size_t i = 0; i < chunks.size() && !reduced && n > 2; ++i)
      reduced = try_candidate({chunks[i], best_.duration}, "only " + labels(chunks[i]));
    if (reduced) {
      n = 2;
      continue;
    }
    // Without a chunk it still fails: drop it.
    for (std::size_t i = 0; i < chunks.size() && !reduced; ++i)
      reduced = try_candidate({without(chunks, i), best_.duration}, "without " + labels(chunks[i]));
    if (reduced) {
      n = std::max<std::size_t>(n - 1, 2);
      continue;
    }
    if (stopped()) return;
    if (n >= current.size()) break;  // every single fault was tried alone out
    n = std::min(n * 2, current.size());
  }
  // One fault left: it is 1-minimal once the empty schedule passed.
  one_minimal_ = !stopped();
}

void Shrinker::shorten_faults() {
  for (std::size_t i = 0; i < best_.faults.size() && !stopped(); ++i)
    for (int halving = 0; halving < 3 && !stopped(); ++halving) {
      const Duration length = fault_for(best_.faults[i]);
      const Duration shorter = std::max(kShortestFor, Duration(length.count() / 2));
      if (length.count() == 0 || shorter >= length) break;
      Schedule candidate = best_;
      candidate.faults[i].insert_or_assign("for", format_duration(shorter));
      if (!try_candidate(candidate, label(best_.faults[i]) + " for " + format_duration(shorter)))
        break;
    }
}

void Shrinker::shorten_duration() {
  Duration last{0};
  for (const auto& f : best_.faults) last = std::max(last, fault_at(f));
  const Duration lowest = std::max(kShortestDuration, last + kAfterLastStart);
  // The lowest first, then halfway there.
  for (Duration d : {lowest, Duration((lowest.count() + best_.duration.count()) / 2)}) {
    if (stopped() || d >= best_.duration) continue;
    if (try_candidate({best_.faults, d}, "duration " + format_duration(d))) return;
  }
}

void Shrinker::narrow_scopes() {
  const std::vector<Narrowing> ways = narrowings(options_.regions);
  for (std::size_t i = 0; i < best_.faults.size() && !stopped(); ++i)
    for (const Narrowing& way : ways)
      for (int round = 0; round < way.rounds && !stopped(); ++round) {
        bool narrowed = false;
        for (NarrowerFault& alternative : way.alternatives(best_.faults[i])) {
          Schedule candidate = best_;
          const std::string change = label(best_.faults[i]) + " " + alternative.change;
          candidate.faults[i] = std::move(alternative.fault);
          if ((narrowed = try_candidate(candidate, change)) || stopped()) break;
        }
        if (!narrowed) break;
      }
}

bool Shrinker::remove_each() {
  for (std::size_t i = 0; i < best_.faults.size();) {
    Schedule candidate = best_;
    candidate.faults.erase(candidate.faults.begin() + static_cast<std::ptrdiff_t>(i));
    if (try_candidate(candidate, "without " + label(best_.faults[i])))
      i = 0;  // the others were needed with it: each is tried again without it
    else if (stopped())
      return false;
    else
      ++i;
  }
  return true;
}

ShrinkResult Shrinker::run() {
  if (!best_.faults.empty() && try_candidate({{}, best_.duration}, "without any fault")) {
    one_minimal_ = true;  // nothing left to remove
  } else if (!stopped()) {
    ddmin();
  }
  // What ddmin showed holds of its schedule only: a fault needed then may not
  // be once the others are shorter or narrower.
  const std::string after_ddmin = schedule_key(best_);
  shorten_faults();
  shorten_duration();
  narrow_scopes();
  if (schedule_key(best_) != after_ddmin) one_minimal_ = remove_each();
  return {best_, runs_, one_minimal_, stopped_};
}

}  // namespace faultline
