#pragma once
// Transactional isolation of a list-append history, in Elle's manner
// (Kingsbury & Alvaro, "Elle: Inferring Isolation Anomalies from
// Experimental Observations", VLDB 2020): the dependencies between
// transactions are inferred from the lists they read, and an anomaly is a
// cycle of them, named as Adya names it, or a read no execution could give.
//
// From each key's version order (txn_table.hpp):
//   ww  T appended a value and U appended the next one in the order;
//   wr  U read a list whose last element T appended;
//   rw  T read a list of n elements and U appended the (n+1)-th;
//   rt  T completed before U was invoked (strict-serializable only), kept
//       as a transitive reduction, so the edges stay O(transactions x
//       concurrency).
// A failed txn did not happen and has no edges; an info or pending one may
// have: its appends count where a read shows them, and it is never before
// anything in real time (it never completed).
//
// Cycles: the strongly connected components of the graph (iterative
// Tarjan), and in each the cycle of the weakest kind it holds, found by
// breadth-first search (the shortest through its start), named:
//   G0        ww edges only                  (dirty write)
//   G1c       ww and wr                      (circular information flow)
//   G-single  exactly one rw, the rest ww/wr (read skew)
//   G-nonadjacent  two or more rw, no two of them adjacent in the cycle
//                  (forbidden by snapshot isolation, as G-single is)
//   G2-item   two or more rw, some adjacent  (write skew and the like)
// and "<name>-realtime" when the cycle needs rt edges. Besides cycles:
//   G1a  aborted read: a read shows an append of a failed txn;
//   G1b  intermediate read: another txn's read ends at an append that is not
//        that txn's last to the key;
//   internal            a txn's read disagrees with its own earlier reads and appends;
//   incompatible-order  two reads of a key of which neither is a prefix of the other;
//   duplicate-elements  a read shows a value twice;
//   duplicate-appends   two appends of the same value (the values must be unique);
//   garbage             a read shows a value nobody appended to that key.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controllers/checkers/check_result.hpp"
#include "controllers/checkers/txn_table.hpp"

namespace faultline {

enum class IsolationModel { serializable, snapshot_isolation, strict_serializable };

const char* isolation_model_name(IsolationModel model);
// Whether the model forbids an anomaly of this name.
bool model_forbids(IsolationModel model, const std::string& anomaly);

struct TxnAnomaly {
  std::string name;  // "G-single"
  std::vector<std::uint32_t>
      txns;  // the witness: a cycle's transactions in order, or the reader and writer
  std::vector<std::string> steps;  // the explanation, one line per edge or fact
};

struct IsolationAnalysis {
  std::map<std::string, std::size_t> counts;  // anomalies found, by name
  std::vector<TxnAnomaly> anomalies;          // up to kWitnessesPerName of each name
  std::size_t transactions = 0;               // judged: ok, info and pending
  std::size_t ok = 0, indeterminate = 0, failed = 0;
  std::map<std::string, std::size_t> edges;  // by type
  std::size_t components = 0;                // strongly connected, of two or more
  std::string unfinished;                    // what the budget cut short; empty: finished
};

inline constexpr std::size_t kWitnessesPerName = 8;

// The analysis with or without real-time edges, cut short (and saying what
// it did not finish) when the clock passes `deadline`.
IsolationAnalysis analyze_list_append(const TxnTable& table, bool realtime,
                                      std::chrono::steady_clock::time_point deadline);

// "T40": a transaction by the index of its invocation in the history.
std::string txn_name(const Txn& t);

// The verdict of one model. `operation` gives back the history's operation
// of an index for the witness (null: a witness of no operations, only
// details).
CheckResult check_list_append(const TxnTable& table, IsolationModel model,
                              std::chrono::milliseconds budget,
                              const std::function<Operation(std::uint64_t)>& operation);

}  // namespace faultline
