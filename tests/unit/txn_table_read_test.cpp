// TxnTable::read, the scanner of history.jsonl, against the slow path: the
// same file lexed line by line by nlohmann (CompactHistory's LineReader)
// and the table built from its JSON. Lines are varied as a recorder or a
// hand might write them (spacing, field order, escaped and long keys,
// integers of every length, shapes that are not a txn's), then broken.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "controllers/checkers/txn_table.hpp"

using namespace faultline;

namespace {

// Every field of both tables, the first difference named.
void same_table(const TxnTable& a, const TxnTable& b) {
  REQUIRE(a.txns().size() == b.txns().size());
  for (std::size_t i = 0; i < a.txns().size(); ++i) {
    INFO("txn " << i);
    const Txn &x = a.txns()[i], &y = b.txns()[i];
    REQUIRE(x.invoke_time == y.invoke_time);
    REQUIRE(x.end_time == y.end_time);
    REQUIRE(x.process == y.process);
    REQUIRE(x.invoke_index == y.invoke_index);
    REQUIRE(x.end_index == y.end_index);
    REQUIRE(x.first_mop == y.first_mop);
    REQUIRE(x.mop_count == y.mop_count);
    REQUIRE(x.outcome == y.outcome);
  }
  REQUIRE(a.mops().size() == b.mops().size());
  for (std::size_t i = 0; i < a.mops().size(); ++i) {
    INFO("mop " << i);
    const Mop &x = a.mops()[i], &y = b.mops()[i];
    REQUIRE(x.value == y.value);
    REQUIRE(x.txn == y.txn);
    REQUIRE(a.key_name(x.key) == b.key_name(y.key));
    REQUIRE(x.length == y.length);
    REQUIRE(x.incompatible == y.incompatible);
    REQUIRE(x.kind == y.kind);
    REQUIRE(x.external == y.external);
    REQUIRE(x.last_append == y.last_append);
  }
  REQUIRE(a.key_count() == b.key_count());
  for (std::uint32_t k = 0; k < a.key_count(); ++k) {
    REQUIRE(a.key_name(k) == b.key_name(k));
    REQUIRE(a.orders()[k].elements == b.orders()[k].elements);
    REQUIRE(a.orders()[k].longest_reader == b.orders()[k].longest_reader);
  }
  REQUIRE(a.incompatible().size() == b.incompatible().size());
  for (std::size_t i = 0; i < a.incompatible().size(); ++i) {
    const IncompatibleRead &x = a.incompatible()[i], &y = b.incompatible()[i];
    REQUIRE(x.mop == y.mop);
    REQUIRE(x.order_reader == y.order_reader);
    REQUIRE(x.diverges_at == y.diverges_at);
    REQUIRE(x.elements == y.elements);
  }
  REQUIRE(a.internal().size() == b.internal().size());
  for (std::size_t i = 0; i < a.internal().size(); ++i) {
    const InternalInconsistency &x = a.internal()[i], &y = b.internal()[i];
    REQUIRE(x.mop == y.mop);
    REQUIRE(x.expected == y.expected);
    REQUIRE(x.expected_is_suffix == y.expected_is_suffix);
    REQUIRE(x.read == y.read);
  }
  REQUIRE(a.duplicate_appends() == b.duplicate_appends());
  for (const Mop& m : a.mops()) {
    if (m.kind != MopKind::append) continue;
    const TxnTable::AppendSlot* x = a.find_append(m.value);
    const TxnTable::AppendSlot* y = b.find_append(m.value);
    REQUIRE((x == nullptr) == (y == nullptr));
    if (x == nullptr) continue;
    REQUIRE(x->mop == y->mop);
    REQUIRE(x->key == y->key);
    REQUIRE(x->txn == y->txn);
  }
}

// A history of txns (and other operations) as text, varied at random.
class Writer {
 public:
  explicit Writer(std::uint64_t seed) : rng_(seed) {}

  std::vector<std::string> lines(int operations) {
    std::vector<std::string> out;
    std::vector<bool> in_flight(8, false);
    for (int i = 0; i < operations; ++i) {
      const auto process = static_cast<std::int64_t>(rng_() % in_flight.size());
      const int kind = static_cast<int>(rng_() % 40);
      if (kind == 0) {
        out.push_back(R"({"f":"start-partition","index":1,"process":"nemesis","time":)" + number(4) +
                      R"(,"type":"info","value":{"fault":0}})");
      } else if (kind == 1) {
        out.push_back(R"({"f":"write","index":2,"process":3,"time":5,"type":"invoke","value":["x",1]})");
      } else if (kind == 2) {
        out.emplace_back();  // skipped, and not counted
      } else {
        std::string type = "invoke";
        if (in_flight[process]) {
          const int t = static_cast<int>(rng_() % 10);
          type = t < 7 ? "ok" : t < 9 ? "fail" : "info";
        }
        if (rng_() % 25 == 0) type = rng_() % 2 ? "invoke" : "ok";  // an odd order
        in_flight[process] = type == "invoke";
        out.push_back(txn(process, type));
      }
    }
    return out;
  }

 private:
  std::string sp() { return rng_() % 6 == 0 ? std::string(" ") : std::string(); }
  // 1 to 18 digits, at times negative, at times a bound of int64 (beyond
  // them nlohmann reads a float, the scanner lets the integer wrap).
  std::string number(int max_digits = 18) {
    switch (rng_() % 30) {
      case 0:
        return "9223372036854775807";
      case 1:
        return "-9223372036854775808";
      case 2:
        return "0";
      default:
        break;
    }
    const int digits = 1 + static_cast<int>(rng_() % static_cast<std::uint64_t>(max_digits));
    std::string s = rng_() % 8 == 0 ? "-" : "";
    s += static_cast<char>('1' + rng_() % 9);
    for (int i = 1; i < digits; ++i) s += static_cast<char>('0' + rng_() % 10);
    return s;
  }
  std::string key() {
    static const char* const kKeys[] = {"k1", "k2", "k3", "k12345678", "a-key-longer-than-eight",
                                        R"(q\"uote)", R"(back\\slash)", R"(tab\tkey)", "k4", ""};
    return kKeys[rng_() % std::size(kKeys)];
  }
  std::string value(bool completed) {
    std::string v = "[";
    const int mops = static_cast<int>(rng_() % 5);
    for (int m = 0; m < mops; ++m) {
      if (m > 0) v += "," + sp();
      v += "[" + sp();
      if (rng_() % 2) {
        v += R"("append",)" + sp() + "\"" + key() + "\"," + sp() + number(rng_() % 3 ? 3 : 18);
      } else {
        v += R"("r",)" + sp() + "\"" + key() + "\"," + sp();
        if (!completed || rng_() % 6 == 0) {
          v += "null";
        } else {
          v += "[";
          const int n = static_cast<int>(rng_() % 12);
          for (int e = 0; e < n; ++e) v += (e > 0 ? "," + sp() : "") + number(rng_() % 3 ? 3 : 18);
          v += "]";
        }
      }
      v += sp() + "]";
    }
    v += "]";
    switch (rng_() % 40) {  // not a txn's value
      case 0:
        return R"([["x","k1",1]])";
      case 1:
        return R"([["append","k1",1.5]])";
      case 2:
        return R"({"a":[1,2]})";
      case 3:
        return "null";
      default:
        return v;
    }
  }
  std::string txn(std::int64_t process, const std::string& type) {
    std::vector<std::string> fields{
        "\"index\":" + sp() + number(6),
        "\"process\":" + sp() + std::to_string(process),
        "\"time\":" + sp() + number(9),
        "\"type\":" + sp() + "\"" + type + "\"",
        "\"value\":" + sp() + value(type != "invoke"),
    };
    if (rng_() % 4 == 0) fields.push_back(R"("error":"no \"quorum\"")");
    if (rng_() % 4 == 0) fields.push_back(R"("note":{"a":[1,{"b":null}],"c":"d"})");
    const std::string f = R"("f":)" + sp() + R"("txn")";
    // The recorder writes f first; a hand or another tool may not.
    if (rng_() % 5 == 0) std::shuffle(fields.begin(), fields.end(), rng_);
    if (rng_() % 5 == 0)
      fields.insert(fields.begin() + static_cast<std::ptrdiff_t>(rng_() % fields.size()), f);
    else
      fields.insert(fields.begin(), f);
    std::string line = sp() + "{";
    for (std::size_t i = 0; i < fields.size(); ++i) line += (i > 0 ? "," + sp() : "") + fields[i];
    return line + "}" + sp();
  }
  std::mt19937_64 rng_;
};

std::string write_file(const std::vector<std::string>& lines, bool last_newline) {
  char path[] = "/tmp/faultline-txn-read-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream out(path);
  for (std::size_t i = 0; i < lines.size(); ++i)
    out << lines[i] << (i + 1 < lines.size() || last_newline ? "\n" : "");
  return path;
}

// The slow path's table, or its error.
std::string slow_table(const std::string& path, TxnTable& table) {
  try {
    table = TxnTable::from(CompactHistory::read(path, CompactHistory::LineReader::nlohmann));
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string scanned_table(const std::string& path, TxnTable& table) {
  try {
    table = TxnTable::read(path);
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

TEST_CASE("TxnTable::read builds the table the slow path builds, on varied lines",
          "[list-append][txn-read]") {
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("seed " << seed);
    const std::vector<std::string> lines = Writer(seed).lines(400);
    const std::string path = write_file(lines, seed % 2 == 0);
    TxnTable slow, scanned;
    INFO(path);
    REQUIRE(slow_table(path, slow).empty());
    REQUIRE(scanned_table(path, scanned).empty());
    same_table(scanned, slow);
    CHECK(scanned.txns().size() > 50);
    std::remove(path.c_str());
  }
}

TEST_CASE("TxnTable::read on broken lines: the error names its line, or the slow path's table",
          "[list-append][txn-read]") {
  std::mt19937_64 rng(7);
  int errors = 0, same = 0;
  for (int round = 0; round < 300; ++round) {
    INFO("round " << round);
    std::vector<std::string> lines = Writer(100 + round).lines(60);
    std::size_t broken = rng() % lines.size();
    while (lines[broken].empty()) broken = (broken + 1) % lines.size();
    std::string& line = lines[broken];
    const std::size_t at = rng() % line.size();
    switch (rng() % 3) {
      case 0:
        line.resize(at);
        break;
      case 1:
        line.insert(at, 1, "[]{}\",:0-x\\ "[rng() % 12]);
        break;
      default:
        line.erase(at, 1);
    }
    const std::string path = write_file(lines, true);
    TxnTable slow, scanned;
    const std::string slow_error = slow_table(path, slow);
    const std::string error = scanned_table(path, scanned);
    if (!error.empty()) {
      ++errors;
      // Lines count from 1, the skipped empty ones too.
      CHECK_THAT(error, Catch::StartsWith(path + ":" + std::to_string(broken + 1) + ": "));
    } else if (slow_error.empty()) {
      ++same;
      same_table(scanned, slow);
    }
    std::remove(path.c_str());
  }
  // Both outcomes were exercised.
  CHECK(errors > 30);
  CHECK(same > 30);
}
