// CompactHistory::read's hand scanner against nlohmann: the same file read
// both ways must give the same history, entry by entry, and the same error
// for a line neither can take; the scanner must take the recorder's lines
// itself (else the fast path would be a test that cannot fail).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>

#include "controllers/history/compact_history.hpp"
#include "controllers/history/operation_kinds.hpp"

using namespace faultline;
using nlohmann::json;

namespace {

std::string temp_path(const std::string& name) {
  return "/tmp/faultline-scan-" + std::to_string(getpid()) + "-" + name + ".jsonl";
}

// Every entry, name and value alike, or the first difference.
void same_history(const CompactHistory& a, const CompactHistory& b) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    INFO("entry " << i);
    const CompactOp& x = a[i];
    const CompactOp& y = b[i];
    CHECK(x.time == y.time);
    CHECK(x.process == y.process);
    CHECK(x.type == y.type);
    CHECK(x.session == y.session);
    CHECK(x.value_kind == y.value_kind);
    CHECK(a.name(x.f) == b.name(y.f));
    CHECK(a.name(x.key) == b.name(y.key));
    CHECK(a.name(x.region) == b.name(y.region));
    CHECK(a.name(x.served_by) == b.name(y.served_by));
    if (x.value_kind == ValueKind::integer || x.value_kind == ValueKind::none)
      CHECK(x.number == y.number);
    CHECK(a.value(x) == b.value(y));
    CHECK(to_json(a.operation(i)) == to_json(b.operation(i)));
  }
  CHECK(a.f_read == b.f_read);
  CHECK(a.f_write == b.f_write);
  CHECK(a.f_cas == b.f_cas);
}

// What reading gives: the history, or the error's text.
std::string read_or_error(const std::string& path, CompactHistory::LineReader reader,
                          CompactHistory& out) {
  try {
    out = CompactHistory::read(path, reader);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<std::string> recorded_lines() {
  std::vector<Operation> ops;
  auto add = [&](Operation op) {
    op.index = ops.size();
    op.time = static_cast<std::int64_t>(ops.size()) * 1000 - 500;
    ops.push_back(std::move(op));
  };
  add({.type = OpType::invoke,
       .process = 0,
       .f = kWriteF,
       .value = json::array({"k1", 5}),
       .region = "r0",
       .session = 0});
  add({.type = OpType::ok,
       .process = 0,
       .f = kWriteF,
       .value = json::array({"k1", 5}),
       .region = "r0",
       .served_by = "r1",
       .session = 0,
       .version = "7@r1"});
  add({.type = OpType::invoke,
       .process = 1,
       .f = kReadF,
       .value = json::array({"k1", nullptr}),
       .region = "r0",
       .session = 1});
  add({.type = OpType::info,
       .process = 1,
       .f = kReadF,
       .value = json::array({"k1", nullptr}),
       .error = "timeout",
       .region = "r0",
       .session = 1});
  add({.type = OpType::fail,
       .process = 2,
       .f = kWriteF,
       .value = json::array({"k2", -9223372036854775807LL}),
       .error = "refused: \"no\"",
       .region = "r0"});
  add({.type = OpType::ok,
       .process = 3,
       .f = kCasF,
       .value = json::array({"k1", json::array({5, 6})})});
  add({.type = OpType::ok,
       .process = kNemesisProcess,
       .f = "start-partition",
       .value = json::array({"r0", "r1"})});
  add({.type = OpType::ok,
       .process = 4,
       .f = "add",
       .value = json::array({"s", json::array({1, 2, 3})})});
  add({.type = OpType::ok,
       .process = 4,
       .f = kReadF,
       .value = json::array({"k\u00e9", 1})});  // non-ASCII key
  add({.type = OpType::ok, .process = 4, .f = kReadF, .value = json::array({"k1", 2.5})});
  add({.type = OpType::ok,
       .process = 5,
       .f = "register",
       .value = json{{"customer", "c1"}, {"home", "r0"}}});
  add({.type = OpType::ok, .process = 5, .f = "probe"});
  const json txn = json::array({json::array({"r", "x", json::array({1, 2})}),
                                json::array({"append", "y", 3}), json::array({"r", "z", nullptr})});
  add({.type = OpType::invoke,
       .process = 6,
       .f = kTxnF,
       .value = txn,
       .region = "r0",
       .session = 6});
  add({.type = OpType::ok, .process = 6, .f = kTxnF, .value = txn, .region = "r0", .session = 6});
  add({.type = OpType::info,
       .process = 6,
       .f = kTxnF,
       .value = txn,
       .error = "lost",
       .session = 6});
  std::vector<std::string> lines;
  for (const Operation& op : ops) {
    std::string line;
    append_json_line(line, op);
    lines.push_back(line);
  }
  // Lines the recorder does not write but another tool might.
  lines.push_back(
      R"({ "index" : 20, "time": 1, "type": "ok", "process": 2, "f": "write", "value": ["k1", 8] })");
  lines.push_back(
      R"({"f":"write","index":21,"process":2,"time":2,"type":"ok","value":["k1",1e3]})");
  lines.push_back(
      R"({"f":"write","index":22,"process":2,"time":3,"type":"ok","value":["k\u0031",4],"x":1})");
  lines.push_back(
      R"({"f":"txn","index":23,"process":7,"time":4,"type":"ok","value":[["r","x",[1.5e-3,{"a":[]}]]]})");
  lines.push_back(
      R"({"f":"write","index":24,"process":2,"time":5,"type":"ok","value":["k1",18446744073709551615]})");
  lines.push_back(
      R"({"f":"write","index":25,"process":2,"time":6,"type":"ok","session":3,"session":4,"value":null})");
  lines.push_back(R"({"f":"read","index":26,"process":-1,"time":7,"type":"ok","value":["k1",3]})");
  lines.push_back(R"({"f":"read","index":27,"process":1,"time":8,"type":"ok"})");
  return lines;
}

void write_lines(const std::string& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& l : lines) out << l << '\n';
}

}  // namespace

TEST_CASE("the scanner and nlohmann read the same history from the same file", "[history][scan]") {
  const std::string path = temp_path("same");
  const auto lines = recorded_lines();
  write_lines(path, lines);
  CompactHistory scanned, lexed;
  REQUIRE(read_or_error(path, CompactHistory::LineReader::scan, scanned).empty());
  REQUIRE(read_or_error(path, CompactHistory::LineReader::nlohmann, lexed).empty());
  same_history(scanned, lexed);
  CHECK(lexed.lines_lexed_by_nlohmann() == lines.size());
  // The recorder's ordinary lines (kv, null, txn) are the scanner's; the
  // nemesis, non-kv values, escapes, non-ASCII, floats, unknown and
  // repeated keys are nlohmann's.
  CHECK(scanned.lines_lexed_by_nlohmann() == 13);
  std::remove(path.c_str());
}

TEST_CASE("lines broken at random: both readers fail with the same error, or read the same history",
          "[history][scan]") {
  const std::string path = temp_path("fuzz");
  const auto lines = recorded_lines();
  std::mt19937 random(18);
  const std::string bytes = "{}[],:\"\\ 0123456789-.eEnultrfa";
  int agreed_errors = 0, agreed_histories = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> broken = lines;
    std::string& l = broken[random() % broken.size()];
    const std::size_t at = random() % (l.size() + 1);
    switch (random() % 3) {
      case 0:
        if (at < l.size()) l.erase(at, 1 + random() % 3);
        break;
      case 1:
        l.insert(at, 1, bytes[random() % bytes.size()]);
        break;
      default:
        if (at < l.size()) l[at] = bytes[random() % bytes.size()];
    }
    write_lines(path, broken);
    CompactHistory scanned, lexed;
    const std::string e1 = read_or_error(path, CompactHistory::LineReader::scan, scanned);
    const std::string e2 = read_or_error(path, CompactHistory::LineReader::nlohmann, lexed);
    INFO("round " << round << ": " << l);
    REQUIRE(e1 == e2);
    if (e1.empty()) {
      same_history(scanned, lexed);
      ++agreed_histories;
    } else {
      ++agreed_errors;
    }
  }
  // Both outcomes were exercised.
  CHECK(agreed_errors > 50);
  CHECK(agreed_histories > 50);
  std::remove(path.c_str());
}

TEST_CASE("a line that is not JSON fails the same way whichever reader takes it",
          "[history][scan]") {
  const std::string path = temp_path("bad");
  const std::string ok =
      R"({"f":"write","index":0,"process":2,"time":1,"type":"ok","value":["k1",8]})";
  const std::string txn =
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[["r","x",[1,2]]]})";
  const std::vector<std::string> bad = {
      ok + " x",
      ok + "}",
      ok.substr(0, ok.size() - 1),
      R"({"f":"write","index":01,"process":2,"time":1,"type":"ok","value":["k1",8]})",
      R"({"f":"write","index":0,"process":-,"time":1,"type":"ok","value":["k1",8]})",
      R"({"f":"write","index":0,"process":2,"time":1,"type":"ok","value":["k1",nul]})",
      R"({"f":"write","index":0,"process":2,"time":1,"type":"ok","value":["k1",8,]})",
      R"({"f":"write","index":0,"process":2,"time":1,"type":"ok","value":["k1" 8]})",
      R"({"f":"write","index":0,"process":2,"time":1,"type":"done","value":["k1",8]})",
      R"({"f":"write","index":0,"time":1,"type":"ok","value":["k1",8]})",
      R"({"f":"write","index":0,"process":2,"time":1,"type":"ok",})",
      "{\"f\":\"write\",\"index\":0,\"process\":2,\"time\":1,\"type\":\"ok\",\"region\":\"a\x01\"}",
      txn.substr(0, txn.size() - 2) + "}",
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[["r","x",[1.,2]]]})",
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[["r","x",[.5]]]})",
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[["r","x",[-]]]})",
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[["r","x",tru]]})",
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[{"a"}]})",
      R"({"f":"txn","index":0,"process":2,"time":1,"type":"ok","value":[["r","x",[1,2]]],})",
      "{}",
  };
  for (const std::string& line : bad) {
    INFO(line);
    write_lines(path, {ok, line});
    CompactHistory scanned, lexed;
    const std::string e1 = read_or_error(path, CompactHistory::LineReader::scan, scanned);
    const std::string e2 = read_or_error(path, CompactHistory::LineReader::nlohmann, lexed);
    CHECK_FALSE(e1.empty());
    CHECK(e1 == e2);
  }
  std::remove(path.c_str());
}
