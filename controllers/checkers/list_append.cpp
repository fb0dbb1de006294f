#include "controllers/checkers/list_append.hpp"

#include "controllers/checkers/list_append_analyzer.hpp"

#include <algorithm>
#include <cstdio>
#include <set>

namespace faultline {


namespace list_append_detail {

std::string list_text(const std::vector<std::int64_t>& v) {
  // Long lists by their ends: the explanation is about the last elements.
  std::string s = "[";
  auto add = [&](std::size_t i) {
    if (s.size() > 1) s += ' ';
    s += std::to_string(v[i]);
  };
  if (v.size() <= 8) {
    for (std::size_t i = 0; i < v.size(); ++i) add(i);
  } else {
    for (std::size_t i = 0; i < 2; ++i) add(i);
    s += " ... (" + std::to_string(v.size() - 5) + " more)";
    for (std::size_t i = v.size() - 3; i < v.size(); ++i) add(i);
  }
  return s + "]";
}

std::string seconds_text(std::int64_t ns) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6fs", static_cast<double>(ns) / 1e9);
  return buffer;
}

// Everything the search needs, built once from the table.

void Analyzer::found(TxnAnomaly a) {
  const std::size_t n = ++out_->counts[a.name];
  if (n <= kWitnessesPerName) out_->anomalies.push_back(std::move(a));
}

void Analyzer::index_orders() {
  where_ = "indexing the version orders";
  alive_.resize(t_.txns().size());
  for (std::size_t i = 0; i < alive_.size(); ++i) alive_[i] = t_.txns()[i].committed_maybe();
  order_start_.resize(t_.key_count() + 1);
  std::size_t total = 0;
  for (std::uint32_t k = 0; k < t_.key_count(); ++k) {
    order_start_[k] = total;
    total += order_length(k);
  }
  order_start_[t_.key_count()] = total;
  writers_.assign(total, kNoTxn);
  writer_mops_.assign(total, kNoTxn);
  std::vector<std::uint8_t> placed(t_.mops().size(), 0);
  for (std::uint32_t k = 0; k < t_.key_count(); ++k) {
    const auto& elements = t_.orders()[k].elements;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      budget_.step();
      const TxnTable::AppendSlot* a = t_.find_append(elements[i]);
      // An element appended to another key is garbage here, as one nobody appended.
      if (a == nullptr || a->key != k) continue;
      const std::uint32_t m = a->mop;
      writers_[order_start_[k] + i] = a->txn;
      writer_mops_[order_start_[k] + i] = m;
      if (placed[m] != 0) duplicates_.push_back(static_cast<std::uint32_t>(order_start_[k] + i));
      placed[m] = 1;
    }
  }
}

void Analyzer::find_read_anomalies() {
  where_ = "checking the reads";
  const auto& txns = t_.txns();
  const auto& mops = t_.mops();
  // Duplicate appends make every inference about the value unsound.
  for (std::uint32_t m : t_.duplicate_appends()) {
    const Mop& a = mops[m];
    const Mop& first = mops[t_.append_of(a.value)];
    found({.name = "duplicate-appends",
           .txns = {first.txn, a.txn},
           .steps = {name(first.txn) + " and " + name(a.txn) + " both appended " +
                     std::to_string(a.value) + " (values must be unique in a run)"}});
  }
  // Elements of a list, judged once each: in the key's order (every
  // compatible read is a prefix of it, and the longest reader read it all),
  // and in each incompatible read.
  auto judge_duplicates = [&](std::uint32_t key, const std::vector<std::int64_t>& elements,
                              std::uint32_t reader) {
    std::set<std::int64_t> seen_twice;
    std::vector<std::int64_t> sorted = elements;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 1; i < sorted.size(); ++i)
      if (sorted[i] == sorted[i - 1]) seen_twice.insert(sorted[i]);
    for (std::int64_t v : seen_twice)
      found({.name = "duplicate-elements",
             .txns = {reader},
             .steps = {name(reader) + " read " + t_.key_name(key) + " = " + list_text(elements) +
                       ", which holds " + std::to_string(v) + " more than once"}});
  };
  auto judge_elements = [&](std::uint32_t key, const std::vector<std::int64_t>& elements,
                            std::uint32_t reader) {
    for (std::int64_t v : elements) {
      budget_.step();
      const std::uint32_t m = t_.append_of(v);
      if (m == kNoTxn || mops[m].key != key) {
        found({.name = "garbage",
               .txns = {reader},
               .steps = {name(reader) + " read " + t_.key_name(key) + " = " + list_text(elements) +
                         ", but no transaction appended " + std::to_string(v) + " to " +
                         t_.key_name(key)}});
      } else if (txns[mops[m].txn].outcome == TxnOutcome::fail) {
        found({.name = "G1a",
               .txns = {mops[m].txn, reader},
               .steps = {name(mops[m].txn) + " appended " + std::to_string(v) + " to " +
                             t_.key_name(key) + " and failed (aborted)",
                         name(reader) + " read " + t_.key_name(key) + " = " + list_text(elements) +
                             ", which holds " + std::to_string(v) + " (an aborted read)"}});
      }
    }
  };
  // The orders, from the writers indexed once (the longest reader of a key
  // read all of its order).
  for (std::uint32_t k = 0; k < t_.key_count(); ++k) {
    const auto& elements = t_.orders()[k].elements;
    const std::uint32_t reader = t_.orders()[k].longest_reader;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      budget_.step();
      const std::uint32_t m = writer_mops_[order_start_[k] + i];
      if (m != kNoTxn && txns[mops[m].txn].outcome != TxnOutcome::fail) continue;
      judge_elements(k, elements, reader);  // rare: the slow path names it
      break;
    }
  }
  std::set<std::uint32_t> reported;  // keys
  for (std::uint32_t at : duplicates_) {
    const auto k = static_cast<std::uint32_t>(
        std::upper_bound(order_start_.begin(), order_start_.end(), at) - order_start_.begin() - 1);
    if (reported.insert(k).second)
      judge_duplicates(k, t_.orders()[k].elements, t_.orders()[k].longest_reader);
  }
  for (const IncompatibleRead& r : t_.incompatible()) {
    const Mop& read = mops[r.mop];
    judge_duplicates(read.key, r.elements, read.txn);
    judge_elements(read.key, r.elements, read.txn);
    std::vector<std::int64_t> order(
        t_.orders()[read.key].elements.begin(),
        t_.orders()[read.key].elements.begin() +
            std::min(t_.orders()[read.key].elements.size(),
                     std::max(r.elements.size(), std::size_t{r.diverges_at} + 1)));
    found({.name = "incompatible-order",
           .txns = {r.order_reader, read.txn},
           .steps = {
               name(r.order_reader) + " read " + t_.key_name(read.key) + " = " + list_text(order),
               name(read.txn) + " read " + t_.key_name(read.key) + " = " + list_text(r.elements) +
                   ": they differ at position " + std::to_string(r.diverges_at + 1) +
                   ", so neither is a prefix of the other"}});
  }
  for (const InternalInconsistency& i : t_.internal()) {
    const Mop& read = mops[i.mop];
    found({.name = "internal",
           .txns = {read.txn},
           .steps = {name(read.txn) + " read " + t_.key_name(read.key) + " = " + list_text(i.read) +
                     (i.expected_is_suffix
                          ? ", which does not end with its own appends " + list_text(i.expected)
                          : ", but its own earlier reads and appends make it " +
                                list_text(i.expected))}});
  }
  // Intermediate reads: a read that ends at another txn's append that is
  // not that txn's last to the key.
  for (std::uint32_t m = 0; m < mops.size(); ++m) {
    const Mop& read = mops[m];
    if (read.kind != MopKind::read || read.length == 0 || txns[read.txn].outcome != TxnOutcome::ok)
      continue;
    budget_.step();
    const std::uint32_t a = read.incompatible == kNoTxn
                                ? writer_mops_[order_start_[read.key] + read.length - 1]
                                : t_.append_of(read.value);
    if (a == kNoTxn || mops[a].key != read.key || mops[a].txn == read.txn || mops[a].last_append)
      continue;
    std::vector<std::int64_t> later;
    const Txn& w = txns[mops[a].txn];
    for (std::uint32_t j = w.first_mop; j < w.first_mop + w.mop_count; ++j)
      if (j > a && mops[j].kind == MopKind::append && mops[j].key == read.key)
        later.push_back(mops[j].value);
    found({.name = "G1b",
           .txns = {mops[a].txn, read.txn},
           .steps = {name(mops[a].txn) + " appended " + std::to_string(read.value) + " to " +
                         t_.key_name(read.key) + " and then " + list_text(later),
                     name(read.txn) + " read " + t_.key_name(read.key) + " = " +
                         list_text(t_.read_elements(read)) + ", which ends at " +
                         std::to_string(read.value) + " (an intermediate read)"}});
  }
}

template <typename Visit>
void Analyzer::for_each_edge(Visit&& visit) {
  const auto& txns = t_.txns();
  const auto& mops = t_.mops();
  for (std::uint32_t k = 0; k < t_.key_count(); ++k) {
    const std::size_t n = order_length(k);
    for (std::size_t i = 0; i + 1 < n; ++i) {
      const std::uint32_t a = writer(k, i), b = writer(k, i + 1);
      if (a != b && node(a) && node(b)) visit(a, b, kWW);
    }
  }
  for (std::uint32_t m = 0; m < mops.size(); ++m) {
    const Mop& read = mops[m];
    if (read.kind != MopKind::read || !read.external || txns[read.txn].outcome != TxnOutcome::ok)
      continue;
    budget_.step();
    if (read.incompatible != kNoTxn) {
      // Its order is unknown beyond what it shows: only what it read from.
      const std::uint32_t a = read.length > 0 ? t_.append_of(read.value) : kNoTxn;
      if (a != kNoTxn && mops[a].key == read.key && mops[a].txn != read.txn && node(mops[a].txn))
        visit(mops[a].txn, read.txn, kWR);
      continue;
    }
    if (read.length > 0) {
      const std::uint32_t w = writer(read.key, read.length - 1);
      if (w != read.txn && node(w)) visit(w, read.txn, kWR);
    }
    if (read.length < order_length(read.key)) {
      const std::uint32_t w = writer(read.key, read.length);
      if (w != read.txn && node(w)) visit(read.txn, w, kRW);
    }
  }
  if (realtime_)
    for (std::uint32_t u = 0; u + 1 < rt_start_.size(); ++u)
      for (std::uint32_t i = rt_start_[u]; i < rt_start_[u + 1]; ++i) visit(rt_pred_[i], u, kRT);
}

void Analyzer::build_realtime() {
  // T precedes U when T completed before U was invoked. The history's order
  // is real time (the recorder stamps index and time under one lock), so
  // one sweep in index order suffices: U's predecessors are the frontier at
  // its invocation, the completed txns no later-completed txn follows; when
  // T completes, its own predecessors leave the frontier (they reach what
  // follows through T). The edges are a transitive reduction of the order.
  where_ = "ordering the transactions in real time";
  const auto& txns = t_.txns();
  std::uint64_t last = 0;
  for (const Txn& t : txns) last = std::max(last, t.end_index);
  // At each index, the txn invoked (even slot) or completed (odd) there.
  std::vector<std::uint32_t> at(2 * (last + 1), kNoTxn);
  for (std::uint32_t u = 0; u < txns.size(); ++u) {
    if (!txns[u].committed_maybe()) continue;
    at[2 * txns[u].invoke_index] = u;
    if (txns[u].outcome == TxnOutcome::ok) at[2 * txns[u].end_index + 1] = u;
  }
  rt_start_.assign(txns.size() + 1, 0);
  std::vector<std::uint32_t> frontier;
  std::vector<std::uint8_t> covered(txns.size(), 0);
  std::vector<std::uint32_t> preds_at(txns.size() + 1, 0);  // start of each txn's preds, by id
  for (std::size_t i = 0; i < at.size(); ++i) {
    const std::uint32_t u = at[i];
    if (u == kNoTxn) continue;
    budget_.step();
    if (i % 2 == 0) {
      preds_at[u] = static_cast<std::uint32_t>(rt_pred_.size());
      rt_pred_.insert(rt_pred_.end(), frontier.begin(), frontier.end());
      rt_start_[u + 1] = static_cast<std::uint32_t>(frontier.size());
    } else {
      for (std::uint32_t j = preds_at[u]; j < preds_at[u] + rt_start_[u + 1]; ++j)
        covered[rt_pred_[j]] = 1;
      std::erase_if(frontier, [&](std::uint32_t x) { return covered[x] != 0; });
      frontier.push_back(u);
    }
  }
  // Txns are numbered in invocation order, so their predecessor lists lie
  // in id order: counts become starts.
  for (std::size_t u = 0; u < txns.size(); ++u) rt_start_[u + 1] += rt_start_[u];
}

void Analyzer::build_graph() {
  where_ = "building the dependency graph";
  if (realtime_) build_realtime();
  where_ = "building the dependency graph";
  const std::size_t n = t_.txns().size();
  out_start_.assign(n + 1, 0);
  std::size_t ww = 0, wr = 0, rw = 0, rt = 0;
  for_each_edge([&](std::uint32_t from, std::uint32_t, std::uint8_t type) {
    ++out_start_[from + 1];
    (type == kWW ? ww : type == kWR ? wr : type == kRW ? rw : rt)++;
  });
  for (std::size_t i = 0; i < n; ++i) out_start_[i + 1] += out_start_[i];
  out_to_.resize(out_start_[n]);
  out_type_.resize(out_start_[n]);
  std::vector<std::uint32_t> fill(out_start_.begin(), out_start_.end() - 1);
  for_each_edge([&](std::uint32_t from, std::uint32_t to, std::uint8_t type) {
    const std::uint32_t at = fill[from]++;
    out_to_[at] = to;
    out_type_[at] = type;
  });
  out_->edges = {{"ww", ww}, {"wr", wr}, {"rw", rw}};
  if (realtime_) out_->edges["realtime"] = rt;
}


void Analyzer::run(IsolationAnalysis& out) {
  out_ = &out;
  for (const Txn& t : t_.txns()) {
    if (t.outcome == TxnOutcome::ok)
      ++out.ok;
    else if (t.outcome == TxnOutcome::fail)
      ++out.failed;
    else
      ++out.indeterminate;
  }
  out.transactions = out.ok + out.indeterminate;
  try {
    where_ = "indexing the version orders";
    budget_.check();
    index_orders();
    find_read_anomalies();
    build_graph();
    search_cycles();
  } catch (const OutOfBudget&) {
    out.unfinished = where_;
  }
}


}  // namespace list_append_detail

using list_append_detail::Analyzer;
using list_append_detail::Budget;
using list_append_detail::Clock;

const char* isolation_model_name(IsolationModel model) {
  switch (model) {
    case IsolationModel::serializable:
      return "serializable";
    case IsolationModel::snapshot_isolation:
      return "snapshot-isolation";
    case IsolationModel::strict_serializable:
      return "strict-serializable";
  }
  return "?";
}

bool model_forbids(IsolationModel model, const std::string& anomaly) {
  if (anomaly.ends_with("-realtime")) return model == IsolationModel::strict_serializable;
  // Write skew and its kin: two or more anti-dependencies in a cycle.
  if (anomaly == "G2-item") return model != IsolationModel::snapshot_isolation;
  return true;
}

std::string txn_name(const Txn& t) { return "T" + std::to_string(t.invoke_index); }

IsolationAnalysis analyze_list_append(const TxnTable& table, bool realtime,
                                      Clock::time_point deadline) {
  IsolationAnalysis out;
  Budget budget(deadline);
  Analyzer(table, realtime, budget).run(out);
  return out;
}

CheckResult check_list_append(const TxnTable& table, IsolationModel model,
                              std::chrono::milliseconds budget,
                              const std::function<Operation(std::uint64_t)>& operation) {
  const auto analysis = analyze_list_append(table, model == IsolationModel::strict_serializable,
                                            Clock::now() + budget);
  CheckResult r;
  r.invariant = isolation_model_name(model);
  r.judged = analysis.transactions;
  r.judged_what = "transactions";
  nlohmann::json counts = nlohmann::json::object(), allowed = nlohmann::json::object(),
                 witnesses = nlohmann::json::array();
  std::size_t forbidden = 0;
  std::string names;
  for (const auto& [name, n] : analysis.counts) {
    if (model_forbids(model, name)) {
      forbidden += n;
      counts[name] = n;
      names += (names.empty() ? "" : ", ") + name + " x" + std::to_string(n);
    } else {
      allowed[name] = n;
    }
  }
  const TxnAnomaly* first = nullptr;
  std::int64_t end_ns = 0;
  for (const Txn& t : table.txns())
    end_ns = std::max({end_ns, t.invoke_time, t.end_time == INT64_MAX ? 0 : t.end_time});
  // The witnessed anomalies (up to kWitnessesPerName of each name), at their
  // earliest transaction's invocation, by name.
  SeriesBuilder found("forbidden anomalies witnessed, at their earliest transaction, by name",
                      "anomalies", end_ns);
  for (const TxnAnomaly& a : analysis.anomalies) {
    const bool forbids = model_forbids(model, a.name);
    if (forbids && first == nullptr) first = &a;
    if (forbids && !a.txns.empty()) {
      std::int64_t at = INT64_MAX;
      for (std::uint32_t t : a.txns) at = std::min(at, table.txns()[t].invoke_time);
      found.add(a.name, at);
    }
    nlohmann::json txns = nlohmann::json::array();
    for (std::uint32_t t : a.txns) {
      const Txn& txn = table.txns()[t];
      txns.push_back({{"txn", txn_name(txn)},
                      {"process", txn.process},
                      {"invoke_index", txn.invoke_index},
                      {"complete_index", txn.end_index},
                      {"outcome", txn.outcome == TxnOutcome::ok     ? "ok"
                                  : txn.outcome == TxnOutcome::fail ? "fail"
                                  : txn.outcome == TxnOutcome::info ? "info"
                                                                    : "pending"}});
    }
    witnesses.push_back({{"anomaly", a.name},
                         {"forbidden", forbids},
                         {"transactions", txns},
                         {"explanation", a.steps}});
  }
  r.details = {{"model", r.invariant},
               {"transactions", analysis.transactions},
               {"ok", analysis.ok},
               {"indeterminate", analysis.indeterminate},
               {"failed", analysis.failed},
               {"edges", analysis.edges},
               {"cyclic_components", analysis.components},
               {"anomalies", counts},
               {"allowed", allowed},
               {"witnesses", witnesses}};
  if (!analysis.unfinished.empty()) r.details["unfinished"] = analysis.unfinished;
  r.series.push_back(found.build());
  if (first != nullptr && operation) {
    std::set<std::uint32_t> seen;
    for (std::uint32_t t : first->txns) {
      if (!seen.insert(t).second) continue;
      const Txn& txn = table.txns()[t];
      r.witness.push_back(operation(txn.invoke_index));
      if (txn.end_index != txn.invoke_index) r.witness.push_back(operation(txn.end_index));
    }
  }
  const std::string budget_text = std::to_string(budget.count()) + "ms";
  if (forbidden > 0) {
    r.validity = Validity::violated;
    std::string chain;
    for (std::uint32_t t : first->txns)
      chain += (chain.empty() ? "" : ", ") + txn_name(table.txns()[t]);
    r.summary = std::to_string(forbidden) + " anomal" + (forbidden == 1 ? "y" : "ies") + " " +
                r.invariant + " forbids (" + names + "); first " + first->name + ": " + chain +
                ": " + first->steps.front();
    if (!analysis.unfinished.empty())
      r.summary += "; the budget of " + budget_text + " ran out " + analysis.unfinished;
    return r;
  }
  if (!analysis.unfinished.empty()) {
    r.validity = Validity::unknown;
    r.summary = "ran out of its budget of " + budget_text + " while " + analysis.unfinished +
                ": did not finish (raise 'budget')";
    return r;
  }
  if (analysis.transactions == 0) {
    r.validity = Validity::unknown;
    r.summary = "no transaction that may have committed (" + std::to_string(analysis.failed) +
                " failed): nothing to judge";
    return r;
  }
  r.validity = Validity::holds;
  std::size_t edges = 0;
  for (const auto& [type, n] : analysis.edges) edges += n;
  r.summary = std::to_string(analysis.ok) + " ok and " + std::to_string(analysis.indeterminate) +
              " indeterminate transactions, " + std::to_string(edges) +
              " dependencies: no anomaly " + r.invariant + " forbids";
  if (!allowed.empty()) {
    std::string what;
    for (const auto& [name, n] : allowed.items())
      what += (what.empty() ? "" : ", ") + name + " x" + std::to_string(n.get<std::size_t>());
    r.summary += " (allowed: " + what + ")";
  }
  return r;
}

}  // namespace faultline
