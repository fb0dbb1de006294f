#include "controllers/checkers/linearizable.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace faultline {

namespace {

using SteadyClock = std::chrono::steady_clock;

// How often the search looks at the clock: a step costs well under a
// microsecond, so the budget is honoured within about a millisecond.
constexpr std::uint64_t kClockEvery = 1024;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

bool step(const RegisterOp& op, std::int64_t state, std::int64_t& next) {
  switch (op.f) {
    case RegisterF::read:
      next = state;
      return op.value == state;
    case RegisterF::write:
      next = op.value;
      return true;
    case RegisterF::cas:
      next = op.new_value;
      return op.value == state;
  }
  return false;
}

// The configurations already explored: (operations linearized, state).
// Operations are numbered in call order, and a search that has got far has
// linearized every operation up to some point and a few concurrent ones
// beyond it, so a set is stored as that point (`first`, the lowest number
// not linearized that had to be: unbounded operations may stay out forever)
// and the few numbers it holds apart from that prefix: a few words per
// configuration, not a bit per operation of the key (which, for a key of
// 100,000 operations, is what exhausts memory). Sets are hashed
// Zobrist-style (the XOR of one random word per operation), so adding or
// removing an operation updates the hash in O(1).
class ConfigCache {
 public:
  // Whether (the set `bits` and `state`) was new, and is now recorded. Every
  // bounded operation below `first` is in the set; `below` lists the
  // unbounded ones below it that are; above it the set ends before `end`.
  bool insert(const std::vector<std::uint64_t>& bits, std::size_t first, std::size_t end,
              const std::vector<std::uint32_t>& below, std::uint64_t bits_hash,
              std::int64_t state) {
    const std::uint64_t h = bits_hash ^ mix(static_cast<std::uint64_t>(state));
    scratch_.clear();
    for (std::uint32_t i : below)
      if (i < first) scratch_.push_back(i);
    std::sort(scratch_.begin(), scratch_.end());
    for (std::size_t i = first + 1; i < end; ++i)
      if (bits[i / 64] >> (i % 64) & 1) scratch_.push_back(static_cast<std::uint32_t>(i));
    auto [from, to] = index_.equal_range(h);
    for (auto it = from; it != to; ++it) {
      const Entry& e = entries_[it->second];
      if (e.state == state && e.first == first && e.count == scratch_.size() &&
          std::equal(scratch_.begin(), scratch_.end(), extras_.begin() + e.offset))
        return false;
    }
    index_.emplace(h, entries_.size());
    entries_.push_back({state, static_cast<std::uint32_t>(first), extras_.size(),
                        static_cast<std::uint32_t>(scratch_.size())});
    extras_.insert(extras_.end(), scratch_.begin(), scratch_.end());
    return true;
  }

  // Roughly what it holds: entries, their extra numbers and the index's nodes.
  std::uint64_t bytes() const {
    return entries_.size() * (sizeof(Entry) + 48) + extras_.size() * sizeof(std::uint32_t);
  }

 private:
  struct Entry {
    std::int64_t state;
    std::uint32_t first;
    std::size_t offset;  // into extras_
    std::uint32_t count;
  };
  std::unordered_multimap<std::uint64_t, std::size_t> index_;
  std::vector<Entry> entries_;
  std::vector<std::uint32_t> extras_;
  std::vector<std::uint32_t> scratch_;
};

struct Event {
  std::uint64_t time = 0;
  std::size_t op = 0;
  bool is_call = true;
  std::size_t match = SIZE_MAX;  // a call's return event, if it has one
};

KeyWitness witness_for(const std::vector<RegisterOp>& ops, std::size_t culprit,
                       std::vector<std::int64_t> states) {
  KeyWitness w;
  w.culprit = &ops[culprit];
  std::sort(states.begin(), states.end());
  w.could_have_seen = states;
  const RegisterOp& c = ops[culprit];
  std::set<std::size_t> chosen{culprit};
  // The writes of the states it could have seen: the last such write before
  // the culprit's return (values are unique, so there is one).
  for (std::int64_t s : states)
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const RegisterOp& o = ops[i];
      const bool writes_s = (o.f == RegisterF::write && o.value == s) ||
                            (o.f == RegisterF::cas && o.new_value == s);
      if (writes_s && o.call < c.ret) chosen.insert(i);
    }
  // The operations concurrent with it, nearest first, a bounded few.
  constexpr std::size_t kConcurrent = 12;
  std::vector<std::size_t> concurrent;
  for (std::size_t i = 0; i < ops.size(); ++i)
    if (i != culprit && ops[i].call < c.ret && ops[i].ret > c.call) concurrent.push_back(i);
  std::sort(concurrent.begin(), concurrent.end(), [&](std::size_t a, std::size_t b) {
    auto distance = [&](std::size_t i) {
      return ops[i].call > c.call ? ops[i].call - c.call : c.call - ops[i].call;
    };
    return distance(a) < distance(b);
  });
  if (concurrent.size() > kConcurrent) concurrent.resize(kConcurrent);
  chosen.insert(concurrent.begin(), concurrent.end());
  for (std::size_t i : chosen) w.window.push_back(&ops[i]);
  std::sort(w.window.begin(), w.window.end(),
            [](const RegisterOp* a, const RegisterOp* b) { return a->call < b->call; });
  return w;
}

}  // namespace

KeySearch check_register_key(std::vector<RegisterOp>& ops, SteadyClock::time_point deadline,
                             std::uint64_t memory_bytes) {
  KeySearch result;
  std::sort(ops.begin(), ops.end(),
            [](const RegisterOp& a, const RegisterOp& b) { return a.call < b.call; });
  const std::size_t n = ops.size();

  // Events in time order; node 0 of the list is the head.
  std::vector<Event> events;
  events.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    events.push_back({ops[i].call, i, true});
    if (!ops[i].unbounded()) events.push_back({ops[i].ret, i, false});
  }
  // A call before a return at the same position (an info operation given
  // the return of the read that saw it, when that read ended before it began).
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.time != b.time ? a.time < b.time : a.is_call > b.is_call;
  });
  std::vector<std::size_t> call_event(n, SIZE_MAX);
  for (std::size_t e = 0; e < events.size(); ++e)
    if (events[e].is_call) call_event[events[e].op] = e;
  for (std::size_t e = 0; e < events.size(); ++e)
    if (!events[e].is_call) events[call_event[events[e].op]].match = e;
  const std::size_t nodes = events.size() + 1;  // node k + 1 is event k
  std::vector<std::size_t> next(nodes + 1), prev(nodes + 1);
  const std::size_t head = 0, tail = nodes;  // tail: a sentinel past the last event
  for (std::size_t k = 0; k < nodes; ++k) {
    next[k] = k + 1;
    prev[k + 1] = k;
  }
  auto unlink = [&](std::size_t k) {
    next[prev[k]] = next[k];
    prev[next[k]] = prev[k];
  };
  auto relink = [&](std::size_t k) {
    next[prev[k]] = k;
    prev[next[k]] = k;
  };

  std::vector<std::uint64_t> zobrist(n);
  for (std::size_t i = 0; i < n; ++i) zobrist[i] = mix(i * 0x632be59bd9b4e019ULL + 1);
  const std::size_t words = (n + 63) / 64;
  std::vector<std::uint64_t> linearized(words, 0);
  std::uint64_t linearized_hash = 0;
  ConfigCache cache;
  auto is_set = [&](std::size_t i) { return (linearized[i / 64] >> (i % 64) & 1) != 0; };
  std::vector<bool> unbounded(n);
  for (std::size_t i = 0; i < n; ++i) unbounded[i] = ops[i].unbounded();
  std::size_t first = 0;  // the lowest bounded operation not linearized
  while (first < n && unbounded[first]) ++first;
  std::size_t end = 0;    // one past the highest linearized
  std::vector<std::uint32_t> unbounded_in;  // linearized unbounded operations, in stack order

  struct Frame {
    std::size_t node;     // the call linearized
    std::int64_t state;  // the state before it
    std::size_t first, end;
  };
  std::vector<Frame> stack;
  std::int64_t state = kNoValue;
  std::size_t returns_left = events.size() - n;  // the operations that must be placed
  // Witness: the deepest point the search reached, and what blocked it there.
  std::size_t best_depth = 0;
  std::size_t culprit = SIZE_MAX;
  std::set<std::int64_t> culprit_states;

  std::size_t node = next[head];
  while (returns_left > 0) {
    if (++result.steps % kClockEvery == 0) {
      result.cache_bytes = cache.bytes();
      if (SteadyClock::now() > deadline) {
        result.why_unknown = "the time budget ran out";
        return result;
      }
      if (result.cache_bytes > memory_bytes) {
        result.why_unknown = "the memory budget ran out";
        return result;
      }
    }
    if (node == tail) break;  // unreachable: a return always precedes the tail
    const Event& ev = events[node - 1];
    if (ev.is_call) {
      std::int64_t after = 0;
      const RegisterOp& op = ops[ev.op];
      bool advanced = false;
      if (step(op, state, after)) {
        linearized[ev.op / 64] |= 1ULL << (ev.op % 64);
        std::size_t new_first = first;
        while (new_first < n && (is_set(new_first) || unbounded[new_first])) ++new_first;
        const std::size_t new_end = std::max(end, ev.op + 1);
        if (unbounded[ev.op]) unbounded_in.push_back(static_cast<std::uint32_t>(ev.op));
        const bool fresh = cache.insert(linearized, new_first, new_end, unbounded_in,
                                        linearized_hash ^ zobrist[ev.op], after);
        if (!fresh && unbounded[ev.op]) unbounded_in.pop_back();
        if (fresh) {
          linearized_hash ^= zobrist[ev.op];
          stack.push_back({node, state, first, end});
          state = after;
          first = new_first;
          end = new_end;
          unlink(node);
          if (ev.match != SIZE_MAX) {
            unlink(ev.match + 1);
            --returns_left;
          }
          node = next[head];
          advanced = true;
        } else {
          linearized[ev.op / 64] &= ~(1ULL << (ev.op % 64));
        }
      }
      if (!advanced) node = next[node];
      continue;
    }
    // A return whose operation is not linearized: nothing before it can be
    // ordered legally from here. Backtrack.
    if (stack.size() >= best_depth) {
      if (stack.size() > best_depth || culprit != ev.op) culprit_states.clear();
      best_depth = stack.size();
      culprit = ev.op;
      if (culprit_states.size() < 8) culprit_states.insert(state);
    }
    if (stack.empty()) {
      result.verdict = KeyVerdict::not_linearizable;
      result.witness = witness_for(
          ops, culprit, std::vector<std::int64_t>(culprit_states.begin(), culprit_states.end()));
      result.cache_bytes = cache.bytes();
      return result;
    }
    const Frame top = stack.back();
    stack.pop_back();
    const Event& undone = events[top.node - 1];
    if (undone.match != SIZE_MAX) {
      relink(undone.match + 1);
      ++returns_left;
    }
    relink(top.node);
    linearized[undone.op / 64] &= ~(1ULL << (undone.op % 64));
    linearized_hash ^= zobrist[undone.op];
    if (unbounded[undone.op]) unbounded_in.pop_back();
    state = top.state;
    first = top.first;
    end = top.end;
    node = next[top.node];
  }
  result.verdict = KeyVerdict::linearizable;
  result.cache_bytes = cache.bytes();
  return result;
}

std::vector<KeyHistory> register_histories(const CompactHistory& h) {
  std::map<std::uint32_t, std::vector<RegisterOp>> by_key;
  // Values that are not integers get numbers of their own (rare: the
  // workloads write integers), so the search compares words only.
  std::unordered_map<std::string, std::int64_t> other_values;
  auto number_of = [&](const nlohmann::json& v) -> std::int64_t {
    if (v.is_null()) return kNoValue;
    if (v.is_number_integer()) return v.get<std::int64_t>();
    auto [it, added] =
        other_values.emplace(v.dump(), kNoValue + 1 + static_cast<std::int64_t>(other_values.size()));
    return it->second;
  };
  auto op_value = [&](const CompactOp& op) -> std::int64_t {
    if (op.value_kind == ValueKind::null) return kNoValue;
    if (op.value_kind == ValueKind::integer) return op.number;
    return number_of(h.value(op)[1]);
  };
  auto is_register_f = [&](std::uint32_t f) {
    return f != kNoSymbol &&
           (f == h.f_read || f == h.f_write || f == h.f_cas || f == h.f_final_read);
  };
  // The final reads are read again, round after round, until every region
  // agrees (FinalStateReader): an earlier round's read of a key probes a
  // region still catching up, whichever region the workload's own reads go
  // to, and a later one of the same reader supersedes it. Only each final
  // reader's last read of a key is judged.
  std::map<std::pair<std::int64_t, std::uint32_t>, std::size_t> last_final_read;
  for (std::size_t i = 0; i < h.size(); ++i)
    if (h[i].f == h.f_final_read && h[i].f != kNoSymbol && h[i].type == OpType::invoke)
      last_final_read[{h[i].process, h[i].key}] = i;
  auto close = [&](std::size_t invoke_index, const CompactOp* done) {
    const CompactOp& inv = h[invoke_index];
    if (inv.f == h.f_final_read && last_final_read[{inv.process, inv.key}] != invoke_index) return;
    RegisterOp op;
    op.invoke_index = invoke_index;
    op.process = inv.process;
    op.call = invoke_index;
    const bool info = done == nullptr || done->type == OpType::info;
    if (done != nullptr && done->type == OpType::fail) return;  // it did not happen
    if (inv.f == h.f_read || inv.f == h.f_final_read) {
      if (info) return;  // observed nothing
      op.f = RegisterF::read;
      op.value = op_value(*done);
    } else if (inv.f == h.f_write) {
      op.f = RegisterF::write;
      op.value = op_value(inv);
    } else {
      const nlohmann::json v = h.value(inv)[1];
      if (!v.is_array() || v.size() != 2) return;
      op.f = RegisterF::cas;
      op.value = number_of(v[0]);
      op.new_value = number_of(v[1]);
    }
    if (done != nullptr) op.completion_index = h.index_of(*done);
    op.info = info;
    op.ret = info ? UINT64_MAX : op.completion_index;
    by_key[inv.key].push_back(op);
  };
  for_each_invocation(
      h, [&](const CompactOp& op) { return !op.nemesis() && op.is_kv() && is_register_f(op.f); },
      [&](std::size_t invoke, std::size_t completion) {
        close(invoke, completion == SIZE_MAX ? nullptr : &h[completion]);  // none: info
      });

  std::vector<KeyHistory> keys;
  for (auto& [key, ops] : by_key) {
    // An info write (or cas) either nobody observed, and is left out, or an
    // operation that completed definitely (an ok read, an ok cas) observed
    // its value: then it happened (values are unique), before the first such
    // observer returned. So it gets that return as its own, and the search
    // no longer carries it as pending forever (see the header).
    std::unordered_set<std::int64_t> observed;
    for (const auto& op : ops)
      if (op.f != RegisterF::write) observed.insert(op.value);
    std::erase_if(ops, [&](const RegisterOp& op) {
      const std::int64_t written = op.f == RegisterF::cas ? op.new_value : op.value;
      return op.info && op.f != RegisterF::read && !observed.count(written);
    });
    bound_info_writes(ops);
    if (!ops.empty()) keys.push_back({key, std::move(ops)});
  }
  return keys;
}

namespace {

nlohmann::json value_json(std::int64_t v) { return v == kNoValue ? nlohmann::json() : nlohmann::json(v); }

const char* f_name(RegisterF f) {
  switch (f) {
    case RegisterF::read: return "read";
    case RegisterF::write: return "write";
    case RegisterF::cas: return "cas";
  }
  return "?";
}

std::string describe(const RegisterOp& op) {
  auto text = [](std::int64_t v) { return v == kNoValue ? std::string("nothing") : std::to_string(v); };
  switch (op.f) {
    case RegisterF::read: return "read of " + text(op.value);
    case RegisterF::write: return "write of " + text(op.value);
    case RegisterF::cas: return "cas " + text(op.value) + " -> " + text(op.new_value);
  }
  return "?";
}

nlohmann::json window_json(const CompactHistory& h, const KeyWitness& w) {
  nlohmann::json ops = nlohmann::json::array();
  for (const RegisterOp* op : w.window) {
    nlohmann::json o = {{"index", op->invoke_index},
                        {"process", op->process},
                        {"f", f_name(op->f)},
                        {"value", value_json(op->value)},
                        {"invoked_ns", h[op->invoke_index].time},
                        {"type", op->info ? "info" : "ok"},
                        {"culprit", op == w.culprit}};
    if (op->f == RegisterF::cas) o["new"] = value_json(op->new_value);
    o["completed_ns"] = op->completion_index == SIZE_MAX ? nlohmann::json()
                                                          : nlohmann::json(h[op->completion_index].time);
    ops.push_back(std::move(o));
  }
  return ops;
}

}  // namespace

CheckResult check_linearizable(const CompactHistory& history, const LinearizabilityBudget& budget) {
  CheckResult r;
  r.invariant = "linearizable";
  r.judged_what = "operations";
  const auto deadline = SteadyClock::now() + budget.time;
  std::vector<KeyHistory> keys = register_histories(history);
  std::vector<std::string> violated, unknown;
  std::string unknown_why;
  std::uint64_t steps = 0, peak_cache = 0;
  bool witnessed = false;
  // Each key found not linearizable, at its culprit's invocation.
  SeriesBuilder culprits("keys not linearizable, at the invocation of the operation with no legal "
                         "place, by its client's region",
                         "keys", history_end_ns(history));
  for (auto& key : keys) {
    const std::string& name = history.name(key.key);
    if (SteadyClock::now() > deadline) {
      unknown.push_back(name);
      unknown_why = "the time budget ran out";
      continue;
    }
    KeySearch s = check_register_key(key.ops, deadline, budget.memory_bytes);
    steps += s.steps;
    peak_cache = std::max(peak_cache, s.cache_bytes);
    if (s.verdict == KeyVerdict::unknown) {
      unknown.push_back(name);
      unknown_why = s.why_unknown;
      continue;
    }
    r.judged += key.ops.size();
    if (s.verdict == KeyVerdict::linearizable) continue;
    violated.push_back(name);
    const CompactOp& culprit = history[s.witness.culprit->invoke_index];
    culprits.add(history.name(culprit.region), culprit.time);
    culprits.mark(culprit.time, "key " + name + ": no legal place for process " +
                                    std::to_string(s.witness.culprit->process) + "'s " +
                                    describe(*s.witness.culprit));
    if (witnessed) continue;
    witnessed = true;
    WitnessShrink shrink;
    const auto shrink_deadline =
        std::min(deadline, SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(
                                                    budget.time * budget.shrink_fraction));
    const KeyWitness w = shrink_witness(key.ops, s.witness, shrink_deadline, budget.memory_bytes,
                                        budget.shrink_checks, shrink);
    std::vector<nlohmann::json> states;
    std::string seen;
    for (std::int64_t v : w.could_have_seen) {
      states.push_back(value_json(v));
      seen += (seen.empty() ? "" : " or ") + (v == kNoValue ? std::string("nothing") : std::to_string(v));
    }
    r.summary = "key " + name + " is not linearizable: the " + describe(*w.culprit) + " by process " +
                std::to_string(w.culprit->process) + " has no legal place (the register could hold " +
                seen + " then)";
    r.details["witness"] = {{"key", name},
                            {"culprit", w.culprit->invoke_index},
                            {"could_have_seen", states},
                            {"window", window_json(history, w)}};
    // Whether no single operation of the window can go, or what stopped the
    // search for a smaller one first.
    r.details["witness"]["shrink"] = {
        {"from", shrink.from},
        {"to", w.window.size()},
        {"checks", shrink.checks},
        {"one_minimal", shrink.one_minimal},
        {"ms", std::chrono::duration<double, std::milli>(shrink.took).count()}};
    if (!shrink.cut.empty()) r.details["witness"]["shrink"]["cut"] = shrink.cut;
    r.summary += shrink.one_minimal
                     ? "; the witness is 1-minimal: " + std::to_string(w.window.size()) +
                           " operations, none of which can be removed"
                     : "; the witness (" + std::to_string(w.window.size()) +
                           " operations) may not be minimal: " +
                           (shrink.cut.empty() ? std::string("not shrunk") : shrink.cut);
    for (const RegisterOp* op : w.window) {
      r.witness.push_back(history.operation(op->invoke_index));
      if (op->completion_index != SIZE_MAX) r.witness.push_back(history.operation(op->completion_index));
    }
  }
  r.series.push_back(culprits.build());
  r.details["keys"] = keys.size();
  r.details["keys_not_linearizable"] = violated;
  r.details["keys_unknown"] = unknown;
  r.details["search_steps"] = steps;
  r.details["peak_cache_bytes"] = peak_cache;
  if (!violated.empty()) {
    r.validity = Validity::violated;
    if (violated.size() > 1)
      r.summary += "; " + std::to_string(violated.size()) + " keys are not linearizable";
    if (!unknown.empty()) r.summary += "; " + std::to_string(unknown.size()) + " keys undecided";
    return r;
  }
  if (!unknown.empty()) {
    r.validity = Validity::unknown;
    std::string names;
    for (std::size_t i = 0; i < unknown.size() && i < 5; ++i) names += (i ? ", " : "") + unknown[i];
    if (unknown.size() > 5) names += ", ...";
    r.summary = unknown_why + " before " + std::to_string(unknown.size()) + " of " +
                std::to_string(keys.size()) + " keys were decided (" + names + ")";
    return r;
  }
  if (r.judged == 0) {
    r.validity = Validity::unknown;
    r.summary = "no read, write or compare-and-set to judge";
    return r;
  }
  r.validity = Validity::holds;
  r.summary = "every key's history is linearizable (" + std::to_string(keys.size()) + " keys)";
  return r;
}

}  // namespace faultline
