// The linearizable checker's witness, shrunk: the search names the
// operation it could not place, but the operations around it that matter
// are found by trying without them (delta debugging, Zeller and
// Hildebrandt), each candidate judged by the same per-key search. See
// shrink_witness in linearizable.hpp.
#include <algorithm>
#include <unordered_map>

#include "controllers/checkers/linearizable.hpp"

namespace faultline {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t written_by(const RegisterOp& op) {
  return op.f == RegisterF::cas ? op.new_value : op.value;
}

// Judges windows of one key's operations (indices into `ops`, in call
// order), remembering what the last failing one blamed.
class WindowJudge {
 public:
  WindowJudge(const std::vector<RegisterOp>& ops, SteadyClock::time_point deadline,
              std::uint64_t memory_bytes, std::size_t max_checks, WitnessShrink& stats)
      : ops_(ops),
        deadline_(deadline),
        memory_(memory_bytes),
        max_checks_(max_checks),
        stats_(stats) {}

  // Whether the window is still not linearizable; false too when the
  // budget is out (then `out()` says so and the caller stops).
  bool fails(const std::vector<std::size_t>& window) {
    if (out()) return false;
    if (stats_.checks >= max_checks_) {
      stats_.cut = "the shrink's step budget ran out";
      return false;
    }
    if (SteadyClock::now() > deadline_) {
      stats_.cut = "the shrink's time budget ran out";
      return false;
    }
    ++stats_.checks;
    candidate_.clear();
    for (std::size_t i : window) {
      RegisterOp op = ops_[i];
      if (op.info) op.ret = UINT64_MAX;  // bounded again below, by this window's observers only
      candidate_.push_back(op);
    }
    bound_info_writes(candidate_);
    KeySearch s = check_register_key(candidate_, deadline_, memory_);
    if (s.verdict == KeyVerdict::unknown) {
      stats_.cut = "the shrink's " + s.why_unknown.substr(s.why_unknown.find(' ') + 1);
      return false;
    }
    if (s.verdict != KeyVerdict::not_linearizable) return false;
    culprit_ = s.witness.culprit->invoke_index;
    states_ = s.witness.could_have_seen;
    return true;
  }
  bool out() const { return !stats_.cut.empty(); }
  std::size_t culprit() const { return culprit_; }  // an invoke_index
  const std::vector<std::int64_t>& states() const { return states_; }

 private:
  const std::vector<RegisterOp>& ops_;
  SteadyClock::time_point deadline_;
  std::uint64_t memory_;
  std::size_t max_checks_;
  WitnessShrink& stats_;
  std::vector<RegisterOp> candidate_;
  std::size_t culprit_ = SIZE_MAX;
  std::vector<std::int64_t> states_;
};

// A window must hold the write of every value it reads (or a cas
// expects), when the key has one: without it the read would fail for a
// reason the history does not have (a value nobody wrote), and every stale
// read would shrink to that read alone, which explains nothing.
class Sources {
 public:
  explicit Sources(const std::vector<RegisterOp>& ops) : ops_(ops), in_(ops.size(), 0) {
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (ops[i].f != RegisterF::read) writer_.emplace(written_by(ops[i]), i);
  }
  // The window with the writers of what it observes added, in call order.
  std::vector<std::size_t> closed(std::vector<std::size_t> window) {
    mark(window, 1);
    for (std::size_t k = 0; k < window.size(); ++k) {
      const std::size_t w = source(window[k]);
      if (w != SIZE_MAX && !in_[w]) {
        in_[w] = 1;
        window.push_back(w);
      }
    }
    mark(window, 0);
    std::sort(window.begin(), window.end());
    return window;
  }
  bool closed_already(const std::vector<std::size_t>& window) {
    mark(window, 1);
    bool ok = true;
    for (std::size_t i : window) {
      const std::size_t w = source(i);
      if (w != SIZE_MAX && !in_[w]) ok = false;
    }
    mark(window, 0);
    return ok;
  }

 private:
  std::size_t source(std::size_t i) const {
    const RegisterOp& op = ops_[i];
    if (op.f == RegisterF::write || op.value == kNoValue) return SIZE_MAX;
    auto it = writer_.find(op.value);
    return it == writer_.end() || it->second == i ? SIZE_MAX : it->second;
  }
  void mark(const std::vector<std::size_t>& window, std::uint8_t v) {
    for (std::size_t i : window) in_[i] = v;
  }
  const std::vector<RegisterOp>& ops_;
  std::vector<std::uint8_t> in_;
  std::unordered_map<std::int64_t, std::size_t> writer_;
};

}  // namespace

void bound_info_writes(std::vector<RegisterOp>& ops) {
  std::unordered_map<std::int64_t, std::uint64_t> first_definite;  // value -> earliest return
  for (const auto& op : ops) {
    if (op.f == RegisterF::write || op.info) continue;
    auto [it, added] = first_definite.emplace(op.value, op.ret);
    if (!added) it->second = std::min(it->second, op.ret);
  }
  for (auto& op : ops) {
    if (!op.info || op.f == RegisterF::read) continue;
    if (auto it = first_definite.find(written_by(op)); it != first_definite.end())
      op.ret = std::max(it->second, op.call);  // a read before its call: the search says so
  }
}

KeyWitness shrink_witness(const std::vector<RegisterOp>& ops, const KeyWitness& heuristic,
                          SteadyClock::time_point deadline, std::uint64_t memory_bytes,
                          std::size_t max_checks, WitnessShrink& stats) {
  const auto start = SteadyClock::now();
  WindowJudge judge(ops, deadline, memory_bytes, max_checks, stats);
  Sources sources(ops);
  std::vector<std::size_t> window;
  for (const RegisterOp* op : heuristic.window)
    window.push_back(static_cast<std::size_t>(op - ops.data()));
  window = sources.closed(std::move(window));
  const auto original_culprit = static_cast<std::size_t>(heuristic.culprit - ops.data());
  // Where to start: the heuristic window when it alone fails; else what was
  // called before the culprit returned; else the whole key (which fails).
  bool verified = judge.fails(window);
  if (!verified && !judge.out()) {
    window.clear();
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (ops[i].call <= heuristic.culprit->ret) window.push_back(i);
    window = sources.closed(std::move(window));
    verified = judge.fails(window);
  }
  if (!verified && !judge.out()) {
    window.resize(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) window[i] = i;
    verified = judge.fails(window);
  }
  stats.from = window.size();

  // ddmin's complement step: remove chunks of halving size; at size one
  // every operation, the original culprit too, is tried alone, until a pass
  // removes nothing.
  std::size_t chunk = std::max<std::size_t>(1, window.size() / 2);
  std::vector<std::size_t> candidate;
  while (verified && !judge.out()) {
    bool removed = false;
    for (std::size_t at = 0; at < window.size() && !judge.out();) {
      candidate.clear();
      std::size_t dropped = 0;
      for (std::size_t j = 0; j < window.size(); ++j) {
        const bool in_chunk =
            j >= at && j < at + chunk && (chunk == 1 || window[j] != original_culprit);
        if (in_chunk)
          ++dropped;
        else
          candidate.push_back(window[j]);
      }
      if (dropped > 0 && !candidate.empty() && sources.closed_already(candidate) &&
          judge.fails(candidate)) {
        window.swap(candidate);
        removed = true;
      } else {
        at += chunk;
      }
    }
    if (judge.out()) break;
    if (chunk == 1 && !removed) {
      stats.one_minimal = true;
      break;
    }
    if (!removed) chunk /= 2;
    chunk = std::max<std::size_t>(1, std::min(chunk, window.size() / 2));
  }
  stats.took = SteadyClock::now() - start;

  // A cut before any window was shown to fail: the heuristic one stands.
  if (!verified) return heuristic;
  // The last failing window is `window`, and the judge's culprit is its
  // (every accepted candidate was the last one judged to fail; a rejected
  // one after it does not overwrite it).
  KeyWitness w;
  for (std::size_t i : window) {
    w.window.push_back(&ops[i]);
    if (ops[i].invoke_index == judge.culprit()) w.culprit = &ops[i];
  }
  w.could_have_seen = judge.states();
  if (w.culprit == nullptr) return heuristic;  // cannot happen: the culprit is one of the window's
  return w;
}

}  // namespace faultline
