// The transactional checkers on hand-written list-append histories: one
// that every model accepts, and one per anomaly named, with its witness.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>

#include "controllers/checkers/invariant_registry.hpp"
#include "controllers/checkers/judge.hpp"
#include "controllers/checkers/list_append.hpp"
#include "controllers/experiment/parse.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

json A(const std::string& key, std::int64_t v) { return json::array({"append", key, v}); }
json R(const std::string& key, std::vector<std::int64_t> read) {
  return json::array({"r", key, json(read)});
}

// Transactions with times in milliseconds; the invocation carries each
// read as null, the ok completion the list it read.
class Txns {
 public:
  Txns& invoke(std::int64_t ms, std::int64_t process, const json& mops) {
    json invoked = mops;
    for (auto& m : invoked)
      if (m[0] == "r") m[2] = nullptr;
    return op(ms, OpType::invoke, process, invoked);
  }
  Txns& complete(std::int64_t ms, std::int64_t process, const json& mops,
                 OpType type = OpType::ok) {
    json completed = mops;
    if (type != OpType::ok)
      for (auto& m : completed)
        if (m[0] == "r") m[2] = nullptr;
    return op(ms, type, process, completed);
  }
  // Invoked at `start`, completed at `end`, nothing in between.
  Txns& txn(std::int64_t start, std::int64_t end, std::int64_t process, const json& mops,
            OpType type = OpType::ok) {
    return invoke(start, process, mops).complete(end, process, mops, type);
  }
  const std::vector<Operation>& ops() const { return ops_; }

 private:
  Txns& op(std::int64_t ms, OpType type, std::int64_t process, json value) {
    ops_.push_back({.index = ops_.size(),
                    .time = ms * 1000000,
                    .type = type,
                    .process = process,
                    .f = kTxnF,
                    .value = std::move(value),
                    .region = "r",
                    .session = process});
    return *this;
  }
  std::vector<Operation> ops_;
};

CheckResult judge(const Txns& t, IsolationModel model, std::chrono::milliseconds budget = 10s) {
  const CompactHistory history = CompactHistory::from(t.ops());
  return check_list_append(TxnTable::from(history), model, budget,
                           [&](std::uint64_t i) { return history.operation(i); });
}

constexpr IsolationModel kModels[] = {IsolationModel::serializable,
                                      IsolationModel::snapshot_isolation,
                                      IsolationModel::strict_serializable};

std::vector<std::string> witness_txns(const CheckResult& r) {
  // The first forbidden anomaly's transactions, by name.
  for (const auto& w : r.details["witnesses"])
    if (w["forbidden"].get<bool>()) {
      std::vector<std::string> names;
      for (const auto& t : w["transactions"]) names.push_back(t["txn"]);
      return names;
    }
  return {};
}

std::string first_anomaly(const CheckResult& r) {
  for (const auto& w : r.details["witnesses"])
    if (w["forbidden"].get<bool>()) return w["anomaly"];
  return "";
}

std::string explanation(const CheckResult& r) {
  for (const auto& w : r.details["witnesses"])
    if (w["forbidden"].get<bool>()) {
      std::string all;
      for (const auto& step : w["explanation"]) all += step.get<std::string>() + "\n";
      return all;
    }
  return "";
}

// Fails under every model with `anomaly` first, naming `txns`.
void fails_everywhere(const Txns& t, const std::string& anomaly, std::vector<std::string> txns) {
  for (IsolationModel model : kModels) {
    INFO(isolation_model_name(model));
    const auto r = judge(t, model);
    INFO(r.summary);
    CHECK(r.validity == Validity::violated);
    CHECK(r.details["anomalies"].contains(anomaly));
    CHECK(first_anomaly(r) == anomaly);
    CHECK(witness_txns(r) == txns);
    CHECK_FALSE(r.witness.empty());
  }
}

}  // namespace

TEST_CASE("a serializable list-append history holds under every model", "[list-append]") {
  Txns t;
  t.txn(0, 10, 0, json::array({A("x", 1), A("y", 5)}))                     // T0
      .txn(20, 30, 1, json::array({R("x", {1}), A("x", 2)}))               // T2
      .txn(40, 50, 0, json::array({R("x", {1, 2}), R("y", {5})}))          // T4
      .txn(60, 70, 1, json::array({R("z", {}), A("z", 3), R("z", {3})}));  // T6
  for (IsolationModel model : kModels) {
    const auto r = judge(t, model);
    INFO(isolation_model_name(model) << ": " << r.summary);
    CHECK(r.validity == Validity::holds);
    CHECK(r.judged == 4);
    CHECK(r.judged_what == "transactions");
    CHECK(r.witness.empty());
    CHECK(r.details["anomalies"].empty());
  }
  const auto r = judge(t, IsolationModel::strict_serializable);
  CHECK(r.details["edges"]["ww"] == 1);        // T0 -> T2 on x
  CHECK(r.details["edges"]["wr"] == 3);        // T0 -> T2, T2 -> T4, T0 -> T4 (y)
  CHECK(r.details["edges"]["realtime"] == 3);  // a chain: the reduction keeps no shortcut
}

TEST_CASE("G0: appends of two transactions interleaved on two keys", "[list-append]") {
  Txns t;
  t.invoke(0, 0, json::array({A("x", 1), A("y", 2)}))
      .invoke(1, 1, json::array({A("x", 3), A("y", 4)}))
      .complete(10, 0, json::array({A("x", 1), A("y", 2)}))
      .complete(11, 1, json::array({A("x", 3), A("y", 4)}))
      .txn(20, 30, 2, json::array({R("x", {1, 3}), R("y", {4, 2})}));
  fails_everywhere(t, "G0", {"T0", "T1"});
  const auto r = judge(t, IsolationModel::serializable);
  CHECK_THAT(explanation(r), Catch::Contains("T0 appended 1 to x before T1 appended 3 (ww)"));
  CHECK_THAT(explanation(r), Catch::Contains("T1 appended 4 to y before T0 appended 2 (ww)"));
  CHECK(r.witness.size() == 4);  // both transactions, invocation and completion
  CHECK(r.witness[0].f == kTxnF);
  // Over time: the anomaly, at its earliest transaction's invocation.
  REQUIRE(r.series.size() == 1);
  REQUIRE(r.series[0].lines.size() == 1);
  CHECK(r.series[0].lines[0].label == "G0");
  CHECK(r.series[0].lines[0].total == 1);
}

TEST_CASE("G1c: each of two transactions reads the other's append", "[list-append]") {
  Txns t;
  t.invoke(0, 0, json::array({A("x", 1), R("y", {2})}))
      .invoke(1, 1, json::array({A("y", 2), R("x", {1})}))
      .complete(10, 0, json::array({A("x", 1), R("y", {2})}))
      .complete(11, 1, json::array({A("y", 2), R("x", {1})}));
  fails_everywhere(t, "G1c", {"T0", "T1"});
  CHECK_THAT(explanation(judge(t, IsolationModel::serializable)),
             Catch::Contains("T0 read y = [2], which ends with T1's append of 2 (wr)"));
}

TEST_CASE("G-single: a read that sees one of a transaction's appends and misses another",
          "[list-append]") {
  Txns t;
  t.invoke(0, 0, json::array({R("x", {}), R("y", {5})}))
      .txn(1, 2, 1, json::array({A("x", 3), A("y", 5)}))
      .complete(10, 0, json::array({R("x", {}), R("y", {5})}))
      .txn(20, 30, 2, json::array({R("x", {3})}));
  fails_everywhere(t, "G-single", {"T0", "T1"});
  const std::string why = explanation(judge(t, IsolationModel::snapshot_isolation));
  CHECK_THAT(why, Catch::Contains("T0 read x = [] without T1's append of 3 (rw)"));
  CHECK_THAT(why, Catch::Contains("T0 read y = [5], which ends with T1's append of 5 (wr)"));
}

TEST_CASE("G2-item (write skew) passes snapshot isolation and fails serializability",
          "[list-append]") {
  Txns t;
  t.invoke(0, 0, json::array({R("x", {}), A("y", 1)}))
      .invoke(1, 1, json::array({R("y", {}), A("x", 2)}))
      .complete(10, 0, json::array({R("x", {}), A("y", 1)}))
      .complete(11, 1, json::array({R("y", {}), A("x", 2)}))
      .txn(20, 30, 2, json::array({R("x", {2}), R("y", {1})}));
  const auto si = judge(t, IsolationModel::snapshot_isolation);
  INFO(si.summary);
  CHECK(si.validity == Validity::holds);
  CHECK(si.details["allowed"]["G2-item"] == 1);
  CHECK_THAT(si.summary, Catch::Contains("allowed: G2-item x1"));
  for (IsolationModel model : {IsolationModel::serializable, IsolationModel::strict_serializable}) {
    const auto r = judge(t, model);
    CHECK(r.validity == Validity::violated);
    CHECK(first_anomaly(r) == "G2-item");
    CHECK(witness_txns(r) == std::vector<std::string>{"T0", "T1"});
    CHECK_THAT(explanation(r), Catch::Contains("T0 read x = [] without T1's append of 2 (rw)"));
    CHECK_THAT(explanation(r), Catch::Contains("T1 read y = [] without T0's append of 1 (rw)"));
  }
}

namespace {

// Four concurrent transactions in a cycle rw, wr, rw, wr: T0 misses T1's
// append to x, T2 reads T1's append to y and misses T3's to z, T0 reads
// T3's append to w. Two anti-dependencies, not adjacent: G-nonadjacent.
// A later reader T4 fixes the version orders.
Txns& nonadjacent(Txns& t, std::int64_t at = 0, std::int64_t process = 0) {
  const json t0 = json::array({R("x", {}), R("w", {4})});
  const json t1 = json::array({A("x", 1), A("y", 2)});
  const json t2 = json::array({R("y", {2}), R("z", {})});
  const json t3 = json::array({A("z", 3), A("w", 4)});
  return t.invoke(at, process, t0)
      .invoke(at + 1, process + 1, t1)
      .invoke(at + 2, process + 2, t2)
      .invoke(at + 3, process + 3, t3)
      .complete(at + 10, process, t0)
      .complete(at + 11, process + 1, t1)
      .complete(at + 12, process + 2, t2)
      .complete(at + 13, process + 3, t3)
      .txn(at + 20, at + 30, process + 4,
           json::array({R("x", {1}), R("y", {2}), R("z", {3}), R("w", {4})}));
}

}  // namespace

TEST_CASE(
    "G-nonadjacent: rw, wr, rw, wr fails snapshot isolation, named so, explained edge by edge",
    "[list-append]") {
  Txns t;
  nonadjacent(t);
  fails_everywhere(t, "G-nonadjacent", {"T0", "T1", "T2", "T3"});
  const std::string why = explanation(judge(t, IsolationModel::snapshot_isolation));
  CHECK_THAT(why, Catch::Contains("T0 read x = [] without T1's append of 1 (rw)"));
  CHECK_THAT(why, Catch::Contains("T2 read y = [2], which ends with T1's append of 2 (wr)"));
  CHECK_THAT(why, Catch::Contains("T2 read z = [] without T3's append of 3 (rw)"));
  CHECK_THAT(why, Catch::Contains("T0 read w = [4], which ends with T3's append of 4 (wr)"));
}

TEST_CASE(
    "snapshot isolation flags a G-nonadjacent and allows a write skew beside it; serializable "
    "flags both",
    "[list-append]") {
  Txns t;
  nonadjacent(t);
  // The write skew of the G2-item case, on keys of its own, after it.
  t.invoke(100, 10, json::array({R("a", {}), A("b", 11)}))
      .invoke(101, 11, json::array({R("b", {}), A("a", 12)}))
      .complete(110, 10, json::array({R("a", {}), A("b", 11)}))
      .complete(111, 11, json::array({R("b", {}), A("a", 12)}))
      .txn(120, 130, 12, json::array({R("a", {12}), R("b", {11})}));
  const auto si = judge(t, IsolationModel::snapshot_isolation);
  INFO(si.summary);
  CHECK(si.validity == Validity::violated);
  CHECK(si.details["anomalies"] == json{{"G-nonadjacent", 1}});
  CHECK(si.details["allowed"]["G2-item"] == 1);
  for (IsolationModel model : {IsolationModel::serializable, IsolationModel::strict_serializable}) {
    INFO(isolation_model_name(model));
    const auto r = judge(t, model);
    CHECK(r.validity == Validity::violated);
    CHECK(r.details["anomalies"] == json{{"G-nonadjacent", 1}, {"G2-item", 1}});
  }
}

TEST_CASE("a stale read after a completed append is a realtime cycle: strict-serializable only",
          "[list-append]") {
  Txns t;
  t.txn(0, 10, 0, json::array({A("x", 1)}))       // T0 completes at 10
      .txn(20, 30, 1, json::array({R("x", {})}))  // T2 invoked at 20, misses it
      .txn(40, 50, 2, json::array({R("x", {1})}));
  for (IsolationModel model : {IsolationModel::serializable, IsolationModel::snapshot_isolation})
    CHECK(judge(t, model).validity == Validity::holds);
  const auto r = judge(t, IsolationModel::strict_serializable);
  INFO(r.summary);
  CHECK(r.validity == Validity::violated);
  CHECK(first_anomaly(r) == "G-single-realtime");
  CHECK(witness_txns(r) == std::vector<std::string>{"T0", "T2"});
  CHECK_THAT(explanation(r), Catch::Contains("T2 read x = [] without T0's append of 1 (rw)"));
  CHECK_THAT(explanation(r),
             Catch::Contains(
                 "T0 completed (at 0.010000s) before T2 was invoked (at 0.020000s) (realtime)"));
  // Overlapping, the same reads are serializable in real time too.
  Txns overlapping;
  overlapping.invoke(0, 0, json::array({A("x", 1)}))
      .txn(5, 30, 1, json::array({R("x", {})}))
      .complete(40, 0, json::array({A("x", 1)}))
      .txn(50, 60, 2, json::array({R("x", {1})}));
  CHECK(judge(overlapping, IsolationModel::strict_serializable).validity == Validity::holds);
}

TEST_CASE("G1a: a read of an append whose transaction failed", "[list-append]") {
  Txns t;
  t.txn(0, 10, 0, json::array({A("x", 1)}), OpType::fail)
      .txn(20, 30, 1, json::array({R("x", {1})}));
  fails_everywhere(t, "G1a", {"T0", "T2"});
  CHECK_THAT(explanation(judge(t, IsolationModel::serializable)),
             Catch::Contains("T0 appended 1 to x and failed (aborted)"));
}

TEST_CASE("G1b: a read that ends at an append its transaction followed with another",
          "[list-append]") {
  Txns t;
  t.txn(0, 10, 0, json::array({A("x", 1), A("x", 2)}))
      .txn(20, 30, 1, json::array({R("x", {1})}))
      .txn(40, 50, 2, json::array({R("x", {1, 2})}));
  fails_everywhere(t, "G1b", {"T0", "T2"});
  CHECK_THAT(explanation(judge(t, IsolationModel::serializable)),
             Catch::Contains("T2 read x = [1], which ends at 1 (an intermediate read)"));
}

TEST_CASE("internal: a transaction's read that misses its own append", "[list-append]") {
  Txns t;
  t.txn(0, 10, 0, json::array({R("x", {}), A("x", 1), R("x", {})}));
  fails_everywhere(t, "internal", {"T0"});
  CHECK_THAT(explanation(judge(t, IsolationModel::serializable)),
             Catch::Contains("its own earlier reads and appends make it [1]"));
  // Without an earlier read, the read must end with its appends.
  Txns suffix;
  suffix.txn(0, 10, 0, json::array({A("x", 1), A("x", 2), R("x", {2, 1})}));
  fails_everywhere(suffix, "internal", {"T0"});
  CHECK_THAT(explanation(judge(suffix, IsolationModel::serializable)),
             Catch::Contains("which does not end with its own appends [1 2]"));
}

TEST_CASE("duplicate-elements, garbage and incompatible-order", "[list-append]") {
  Txns duplicate;
  duplicate.txn(0, 10, 0, json::array({A("x", 1)})).txn(20, 30, 1, json::array({R("x", {1, 1})}));
  fails_everywhere(duplicate, "duplicate-elements", {"T2"});

  Txns garbage;
  garbage.txn(0, 10, 0, json::array({A("x", 1)})).txn(20, 30, 1, json::array({R("x", {1, 99})}));
  fails_everywhere(garbage, "garbage", {"T2"});
  CHECK_THAT(explanation(judge(garbage, IsolationModel::serializable)),
             Catch::Contains("no transaction appended 99 to x"));

  Txns incompatible;
  incompatible.txn(0, 10, 0, json::array({A("x", 1)}))
      .txn(0, 10, 1, json::array({A("x", 2)}))
      .txn(20, 30, 2, json::array({R("x", {1, 2})}))
      .txn(20, 30, 3, json::array({R("x", {2, 1})}));
  fails_everywhere(incompatible, "incompatible-order", {"T4", "T6"});
  CHECK_THAT(explanation(judge(incompatible, IsolationModel::serializable)),
             Catch::Contains("T6 read x = [2 1]: they differ at position 1"));

  Txns twice;
  twice.txn(0, 10, 0, json::array({A("x", 1)})).txn(20, 30, 1, json::array({A("y", 1)}));
  fails_everywhere(twice, "duplicate-appends", {"T0", "T2"});
}

TEST_CASE("an info transaction whose append was read happened; one never read judges nothing",
          "[list-append]") {
  Txns read_info;
  read_info.txn(0, 10, 0, json::array({A("x", 1)}), OpType::info)
      .txn(20, 30, 1, json::array({R("x", {1})}));
  for (IsolationModel model : kModels) {
    const auto r = judge(read_info, model);
    CHECK(r.validity == Validity::holds);
    CHECK(r.details["indeterminate"] == 1);
    CHECK(r.judged == 2);
  }
  // It happened, so it takes part in cycles: G0 with an ok transaction.
  Txns info_cycle;
  info_cycle.invoke(0, 0, json::array({A("x", 1), A("y", 2)}))
      .txn(1, 5, 1, json::array({A("x", 3), A("y", 4)}))
      .complete(10, 0, json::array({A("x", 1), A("y", 2)}), OpType::info)
      .txn(20, 30, 2, json::array({R("x", {1, 3}), R("y", {4, 2})}));
  fails_everywhere(info_cycle, "G0", {"T0", "T1"});
  // Never read: it may not have happened, and nothing says otherwise.
  Txns unread_info;
  unread_info.txn(0, 10, 0, json::array({A("x", 1)}), OpType::info)
      .txn(20, 30, 1, json::array({R("x", {})}))
      .txn(40, 50, 1, json::array({A("x", 2), R("x", {2})}));
  for (IsolationModel model : kModels) CHECK(judge(unread_info, model).validity == Validity::holds);
  // A failed transaction never read is no anomaly either.
  Txns unread_fail;
  unread_fail.txn(0, 10, 0, json::array({A("x", 1)}), OpType::fail)
      .txn(20, 30, 1, json::array({R("x", {})}));
  for (IsolationModel model : kModels) CHECK(judge(unread_fail, model).validity == Validity::holds);
}

TEST_CASE("a read of an append still pending when the history ends: it happened", "[list-append]") {
  Txns t;
  t.invoke(0, 0, json::array({A("x", 1)})).txn(20, 30, 1, json::array({R("x", {1})}));
  for (IsolationModel model : kModels) {
    const auto r = judge(t, model);
    INFO(r.summary);
    CHECK(r.validity == Validity::holds);
    CHECK(r.details["indeterminate"] == 1);
  }
  // And a pending write read before it was invoked is still a cycle in real time.
  Txns future;
  future.txn(0, 10, 1, json::array({R("x", {1})})).invoke(20, 0, json::array({A("x", 1)}));
  CHECK(judge(future, IsolationModel::serializable).validity == Validity::holds);
  const auto strict = judge(future, IsolationModel::strict_serializable);
  CHECK(strict.validity == Validity::violated);
  CHECK(first_anomaly(strict) == "G1c-realtime");
}

TEST_CASE("no transaction that may have committed is unknown, not a pass", "[list-append]") {
  Txns failed;
  failed.txn(0, 10, 0, json::array({A("x", 1)}), OpType::fail);
  for (IsolationModel model : kModels) {
    const auto r = judge(failed, model);
    CHECK(r.validity == Validity::unknown);
    CHECK(r.judged == 0);
    CHECK_THAT(r.summary, Catch::Contains("nothing to judge"));
  }
  CHECK(judge(Txns{}, IsolationModel::serializable).validity == Validity::unknown);
}

TEST_CASE("a spent budget is unknown and says what it did not finish", "[list-append]") {
  Txns t;
  t.txn(0, 10, 0, json::array({A("x", 1)})).txn(20, 30, 1, json::array({R("x", {1})}));
  const CompactHistory history = CompactHistory::from(t.ops());
  const TxnTable table = TxnTable::from(history);
  const auto analysis =
      analyze_list_append(table, true, std::chrono::steady_clock::now() - std::chrono::seconds(1));
  CHECK_FALSE(analysis.unfinished.empty());
  const auto r = check_list_append(table, IsolationModel::serializable, 0ms, nullptr);
  CHECK(r.validity == Validity::unknown);
  CHECK_THAT(r.summary,
             Catch::Contains("ran out of its budget of 0ms while indexing the version orders"));
  CHECK(r.details["unfinished"] == "indexing the version orders");
}

TEST_CASE("the table read straight from history.jsonl is the one built from the compact history",
          "[list-append]") {
  Txns t;
  t.invoke(0, 0, json::array({R("x", {}), R("y", {5})}))
      .txn(1, 2, 1, json::array({A("x", 3), A("y", 5)}))
      .complete(10, 0, json::array({R("x", {}), R("y", {5})}))
      .txn(20, 30, 2, json::array({R("x", {3})}))
      .txn(40, 50, 3, json::array({A("k \"q\"", 7)}), OpType::info);
  char path[] = "/tmp/faultline-list-append-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  {
    std::ofstream out(path);
    Operation nemesis{.index = 0,
                      .time = 0,
                      .type = OpType::info,
                      .process = kNemesisProcess,
                      .f = "start-partition",
                      .value = {{"fault", 0}}};
    std::string line;
    append_json_line(line, nemesis);
    out << line << "\n\n";  // an empty line is skipped and not counted
    for (Operation op : t.ops()) {
      ++op.index;
      line.clear();
      append_json_line(line, op);
      out << line << "\n";
    }
  }
  const CompactHistory history = CompactHistory::read(path);
  const TxnTable from_file = TxnTable::read(path);
  const TxnTable from_compact = TxnTable::from(history);
  REQUIRE(from_file.txns().size() == from_compact.txns().size());
  for (std::size_t i = 0; i < from_file.txns().size(); ++i) {
    CHECK(from_file.txns()[i].invoke_index == from_compact.txns()[i].invoke_index);
    CHECK(from_file.txns()[i].end_index == from_compact.txns()[i].end_index);
    CHECK(from_file.txns()[i].outcome == from_compact.txns()[i].outcome);
  }
  CHECK(from_file.key_name(from_file.mops().back().key) == "k \"q\"");
  // The compact history leaves txn values in the file and reads them back.
  CHECK(history.value(history[1]) == t.ops()[0].value);
  CHECK(history.value(history[4]) == t.ops()[3].value);
  // Through the registry, as a run judges it: from the file, witnesses back from it.
  InvariantSpec spec{.kind = "serializable"};
  const auto r = find_invariant_kind("serializable")->check(spec, Experiment{}, history);
  CHECK(r.validity == Validity::violated);
  CHECK(first_anomaly(r) == "G-single");
  CHECK(witness_txns(r) == std::vector<std::string>{"T1", "T2"});
  REQUIRE(r.witness.size() == 4);
  CHECK(r.witness[0].index == 1);
  CHECK(r.witness[0].value[0][0] == "r");
  std::remove(path);

  std::ofstream bad(path);
  bad << R"({"f":"txn","index":0,"process":1,"time":0,"type":"invoke","value":[["append","x",)"
      << "\n";
  bad.close();
  CHECK_THROWS_WITH(TxnTable::read(path), Catch::Contains(std::string(path) + ":1:"));
  std::remove(path);
}

TEST_CASE("the transactional invariants judge list-append histories and take a budget",
          "[list-append][invariants]") {
  const std::string head = R"([experiment]
name = "w"
duration = "5s"
[[region]]
name = "us-east-1"
geo = "us"
[[service]]
name = "db"
host = "db"
command = ["true"]
[workload]
client = "exec"
program = "c"
)";
  auto parse = [&](const std::string& rest) {
    return parse_experiment(
        head + rest, "x.toml",
        [](const std::string& p, const std::string&) -> std::optional<std::string> {
          return "/usr/bin/" + p;
        });
  };
  auto messages = [&](const std::string& rest) {
    try {
      parse(rest);
      return std::string();
    } catch (const ExperimentError& err) {
      std::string all;
      for (const auto& d : err.diagnostics()) all += d.message + "\n";
      return all;
    }
  };
  for (const char* kind : {"serializable", "snapshot-isolation", "strict-serializable"}) {
    INFO(kind);
    const InvariantKind* k = find_invariant_kind(kind);
    REQUIRE(k != nullptr);
    CHECK(k->workloads == std::vector<std::string>{"list-append"});
    CHECK(k->find_key("budget")->default_value == "30s");
    const auto e = parse(std::string("kind = \"list-append\"\n[[invariant]]\nkind = \"") + kind +
                         "\"\nbudget = \"2s\"\n");
    REQUIRE(e.invariants.size() == 1);
    CHECK(e.invariants[0].budget == 2000ms);
    CHECK_THAT(messages(std::string("kind = \"kv\"\n[[invariant]]\nkind = \"") + kind + "\"\n"),
               Catch::Contains(std::string(kind) + " judges 'list-append' histories"));
  }
  CHECK(parse("kind = \"list-append\"\n[[invariant]]\nkind = \"serializable\"\n")
            .invariants[0]
            .budget == 30000ms);
  CHECK_THAT(
      messages(
          "kind = \"list-append\"\n[[invariant]]\nkind = \"serializable\"\nbudget = \"soon\"\n"),
      Catch::Contains("budget"));
}

TEST_CASE("the budget is checked inside the analysis, not only before it", "[list-append]") {
  // 50,000 serial transactions: a few milliseconds of analysis, which a
  // budget of 1 ms cuts short wherever it happens to be.
  Txns t;
  std::vector<std::vector<std::int64_t>> lists(50000 / 16 + 1);
  for (std::int64_t i = 0; i < 50000; ++i) {
    const std::string key = "k" + std::to_string(i / 16);
    auto& list = lists[static_cast<std::size_t>(i / 16)];
    list.push_back(i);
    t.txn(2 * i, 2 * i + 1, i % 4, json::array({A(key, i), R(key, list)}));
  }
  const CompactHistory history = CompactHistory::from(t.ops());
  const TxnTable table = TxnTable::from(history);
  const auto cut = check_list_append(table, IsolationModel::strict_serializable, 1ms, nullptr);
  INFO(cut.summary);
  CHECK(cut.validity == Validity::unknown);
  CHECK_THAT(cut.summary, Catch::Contains("ran out of its budget of 1ms while "));
  CHECK_FALSE(cut.details["unfinished"].get<std::string>().empty());
  const auto whole = check_list_append(table, IsolationModel::strict_serializable, 60s, nullptr);
  CHECK(whole.validity == Validity::holds);
  CHECK(whole.judged == 50000);
}

namespace {

// A simulated database: sessions overlap, each transaction is invoked,
// later committed against the state (reads see every earlier commit), later
// completed; some fail (never applied), some end info (applied or not). The
// commit order is a serial order that keeps real time. With `stale`, that
// share of reads misses the list's last append (a stale snapshot).
Txns simulate(std::uint64_t seed, double stale = 0) {
  std::mt19937_64 rng(seed);
  Txns t;
  std::map<std::string, std::vector<std::int64_t>> state;
  struct Session {
    int stage = 0;  // 0 idle, 1 invoked, 2 committed
    std::int64_t process = 0, appends = 0;
    json mops;
    OpType outcome = OpType::ok;
  };
  std::vector<Session> sessions(4);
  for (std::size_t s = 0; s < sessions.size(); ++s)
    sessions[s].process = static_cast<std::int64_t>(s);
  std::int64_t ms = 0;
  for (int done = 0; done < 150;) {
    Session& s = sessions[rng() % sessions.size()];
    ++ms;
    if (s.stage == 0) {
      s.mops = json::array();
      for (std::uint64_t m = 0, n = 1 + rng() % 4; m < n; ++m) {
        const std::string key = "k" + std::to_string(rng() % 3);
        if (rng() % 2 == 0)
          s.mops.push_back(json::array({"r", key, nullptr}));
        else
          s.mops.push_back(A(key, unique_write_value(s.process, s.appends++)));
      }
      const auto roll = rng() % 10;
      s.outcome = roll == 0 ? OpType::fail : roll == 1 ? OpType::info : OpType::ok;
      t.invoke(ms, s.process, s.mops);
      s.stage = 1;
    } else if (s.stage == 1) {
      if (s.outcome == OpType::ok || (s.outcome == OpType::info && rng() % 2 == 0))
        for (auto& m : s.mops) {
          auto& list = state[m[1].get<std::string>()];
          if (m[0] == "r") {
            m[2] = list;
            if (!list.empty() && static_cast<double>(rng() % 1000) < stale * 1000)
              m[2].erase(list.size() - 1);
          } else {
            list.push_back(m[2].get<std::int64_t>());
          }
        }
      s.stage = 2;
    } else {
      t.complete(ms, s.process, s.mops, s.outcome);
      if (s.outcome == OpType::info) s.process += static_cast<std::int64_t>(sessions.size());
      s.stage = 0;
      ++done;
    }
  }
  return t;
}

}  // namespace

TEST_CASE("histories of a simulated serial database hold under every model, whatever the seed",
          "[list-append]") {
  for (std::uint64_t seed = 1; seed <= 25; ++seed)
    for (IsolationModel model : kModels) {
      const auto r = judge(simulate(seed), model);
      INFO("seed " << seed << ", " << isolation_model_name(model) << ": " << r.summary);
      CHECK(r.validity == Validity::holds);
    }
  // The same database serving stale snapshots now and then is caught.
  std::map<std::string, int> caught;
  for (std::uint64_t seed = 1; seed <= 25; ++seed)
    for (IsolationModel model : kModels)
      if (judge(simulate(seed, 0.2), model).validity == Validity::violated)
        ++caught[isolation_model_name(model)];
  INFO("violated in " << caught["serializable"] << ", " << caught["snapshot-isolation"] << ", "
                      << caught["strict-serializable"] << " of 25");
  CHECK(caught["serializable"] > 12);
  CHECK(caught["strict-serializable"] >= caught["serializable"]);
  CHECK(caught["serializable"] >= caught["snapshot-isolation"]);
}
