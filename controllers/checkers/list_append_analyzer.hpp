#pragma once
// The list-append analysis's working parts, shared by its two halves and by
// nothing else: list_append.cpp reads the version orders, finds the
// anomalies that are not cycles and builds the dependency graph;
// list_append_cycles.cpp searches that graph for cycles and explains them.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "controllers/checkers/list_append.hpp"

namespace faultline::list_append_detail {

using Clock = std::chrono::steady_clock;

enum EdgeType : std::uint8_t { kWW = 1, kWR = 2, kRW = 4, kRT = 8 };

inline const char* edge_name(std::uint8_t type) {
  switch (type) {
    case kWW:
      return "ww";
    case kWR:
      return "wr";
    case kRW:
      return "rw";
    case kRT:
      return "realtime";
  }
  return "?";
}

// Thrown from inside the search when the budget is spent; caught once, at
// the top, which says what was left.
struct OutOfBudget {};

class Budget {
 public:
  explicit Budget(Clock::time_point deadline) : deadline_(deadline) {}
  // Cheap enough for inner loops: the clock is read every 4096 steps.
  void step() {
    if ((++steps_ & 4095) == 0 && Clock::now() >= deadline_) throw OutOfBudget{};
  }
  void check() const {
    if (Clock::now() >= deadline_) throw OutOfBudget{};
  }

 private:
  Clock::time_point deadline_;
  std::uint64_t steps_ = 0;
};

// "[1 2 ... (n more) 7 8 9]": long lists by their ends.
std::string list_text(const std::vector<std::int64_t>& v);
std::string seconds_text(std::int64_t ns);  // "1.250000s"


class Analyzer {
 public:
  Analyzer(const TxnTable& table, bool realtime, Budget& budget)
      : t_(table), realtime_(realtime), budget_(budget) {}

  void run(IsolationAnalysis& out);

 private:
  // --- the version orders ---
  void index_orders();
  std::uint32_t writer(std::uint32_t key, std::size_t position) const {
    return writers_[order_start_[key] + position];
  }
  std::size_t order_length(std::uint32_t key) const { return t_.orders()[key].elements.size(); }
  // Whether a txn may have committed (from a byte per txn: the analysis
  // asks for every edge).
  bool node(std::uint32_t txn) const { return txn != kNoTxn && alive_[txn] != 0; }

  // --- anomalies that are not cycles ---
  void find_read_anomalies();
  void found(TxnAnomaly a);

  // --- the graph ---
  template <typename Visit>
  void for_each_edge(Visit&& visit);
  void build_realtime();
  void build_graph();

  // --- cycles ---
  void search_cycles();
  std::vector<std::vector<std::uint32_t>> components(const std::vector<std::uint32_t>& nodes,
                                                     std::uint8_t mask, std::uint32_t member);
  // The shortest path from `from` to `to` over edges of `mask` inside the
  // component; empty if none. Nodes then the type of the edge leaving each.
  // With `floor`, only through nodes whose comp_ is at least it (see
  // single_rw_cycle).
  bool shortest_path(std::uint32_t from, std::uint32_t to, std::uint8_t mask, std::uint32_t member,
                     std::vector<std::uint32_t>& nodes, std::vector<std::uint8_t>& types,
                     std::uint32_t floor = 0);
  bool cycle_of(const std::vector<std::uint32_t>& scc, std::uint8_t mask, std::uint32_t member,
                std::vector<std::uint32_t>& nodes, std::vector<std::uint8_t>& types);
  bool single_rw_cycle(const std::vector<std::uint32_t>& scc, std::uint8_t mask,
                       std::uint32_t member, std::vector<std::uint32_t>& nodes,
                       std::vector<std::uint8_t>& types);
  // The shortest cycle with rw edges of which no two are adjacent (Elle's
  // G-nonadjacent; with one rw edge it is a G-single, found before).
  bool nonadjacent_rw_cycle(const std::vector<std::uint32_t>& scc, std::uint8_t mask,
                            std::uint32_t member, std::vector<std::uint32_t>& nodes,
                            std::vector<std::uint8_t>& types);
  std::string explain(std::uint32_t from, std::uint32_t to, std::uint8_t type) const;
  std::string name(std::uint32_t txn) const { return txn_name(t_.txns()[txn]); }

  const TxnTable& t_;
  bool realtime_;
  Budget& budget_;
  IsolationAnalysis* out_ = nullptr;

  std::vector<std::uint8_t> alive_;
  std::vector<std::size_t> order_start_;
  std::vector<std::uint32_t> writers_;      // per key and position: the txn that appended it
  std::vector<std::uint32_t> writer_mops_;  // and its append; kNoTxn for garbage
  std::vector<std::uint32_t> duplicates_;   // positions whose append holds an earlier one too
  std::vector<std::uint32_t> rt_start_, rt_pred_;  // per txn: its real-time predecessors
  std::vector<std::uint32_t> out_start_, out_to_;  // the graph, as compressed rows
  std::vector<std::uint8_t> out_type_;

  // search scratch, stamped so that a search costs what it visits
  std::vector<std::uint32_t> stamp_, index_, low_, parent_, member_;
  // the component of each node in the last components() search, numbered
  // as Tarjan closes them: sinks first, so a path a -> b means comp_[a] >= comp_[b]
  std::vector<std::uint32_t> comp_;
  std::vector<std::uint8_t> parent_type_, on_stack_;
  // the same for the states (txn, whether the edge into it was rw) of
  // nonadjacent_rw_cycle: index 2 * txn + that bit
  std::vector<std::uint32_t> state_stamp_, state_parent_;
  std::vector<std::uint8_t> state_parent_type_;
  std::uint32_t generation_ = 0;
  std::string where_;  // what the search is doing, for a budget cut
};


}  // namespace faultline::list_append_detail
