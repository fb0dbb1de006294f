// The cell-isolation checker on hand-written histories.
#include <catch2/catch.hpp>

#include "controllers/checkers/cell_isolation.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "unit/history_builder.hpp"

using namespace faultline;
using faultline::testing::HistoryBuilder;

namespace {

void sign_up(HistoryBuilder& h, const std::string& customer, const std::string& home,
             const std::string& cell) {
  const nlohmann::json value{{"customer", customer}, {"home", home}, {"cell", cell}};
  h.op(0, OpType::invoke, 2000000, "register", value, home);
  h.op(0, OpType::ok, 2000000, "register", value, home);
}

void fault(HistoryBuilder& h, std::int64_t start, std::int64_t stop, int index) {
  const nlohmann::json v{{"fault", index}, {"what", "kill"}};
  h.op(start, OpType::invoke, kNemesisProcess, std::string(kNemesisStartPrefix) + "kill", v);
  h.op(start, OpType::ok, kNemesisProcess, std::string(kNemesisStartPrefix) + "kill", v);
  h.op(stop, OpType::invoke, kNemesisProcess, std::string(kNemesisStopPrefix) + "kill", v);
  h.op(stop, OpType::ok, kNemesisProcess, std::string(kNemesisStopPrefix) + "kill", v);
}

// `n` writes by `process` on the customer's key, 10 ms apart from `from`;
// the first `failures` of them fail.
void writes(HistoryBuilder& h, std::int64_t from, int n, std::int64_t process,
            const std::string& customer, int failures = 0) {
  for (int i = 0; i < n; ++i)
    h.write(from + 10 * i, from + 10 * i + 5, process, customer + "/k0", process * 1000 + from + i,
            i < failures ? OpType::fail : OpType::ok);
}

HistoryBuilder two_cells() {
  HistoryBuilder h;
  sign_up(h, "us-c0", "us-east-1", "a");
  sign_up(h, "us-c1", "us-east-1", "b");
  sign_up(h, "eu-c0", "eu-west-1", "a");
  writes(h, 0, 10, 1, "us-c0");
  writes(h, 0, 10, 2, "us-c1");
  writes(h, 0, 10, 3, "eu-c0");
  return h;
}

const std::vector<CellFault> kCellA{{"us-east-1", "a"}};

}  // namespace

TEST_CASE("cell-isolation holds when only the failed cell's customers suffer", "[cell-isolation]") {
  HistoryBuilder h = two_cells();
  fault(h, 200, 400, 0);
  writes(h, 200, 10, 1, "us-c0", 10);  // the failed cell's own customer: not judged
  writes(h, 200, 10, 2, "us-c1");
  writes(h, 200, 10, 3, "eu-c0");  // cell a of another region is another cell
  auto r = check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.05);
  CHECK(r.validity == Validity::holds);
  CHECK(r.judged == 2);
}

TEST_CASE("cell-isolation names the customers of other cells that suffered", "[cell-isolation]") {
  HistoryBuilder h = two_cells();
  fault(h, 200, 400, 0);
  writes(h, 200, 10, 1, "us-c0", 10);
  writes(h, 200, 10, 2, "us-c1", 3);  // 70% during, 100% before
  writes(h, 200, 10, 3, "eu-c0");
  auto r = check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.05);
  REQUIRE(r.validity == Validity::violated);
  CHECK(r.summary.find("us-c1") != std::string::npos);
  CHECK(r.summary.find("eu-c0") == std::string::npos);
  CHECK(r.details["suffered"].size() == 1);
  CHECK(r.witness.size() == 1);
}

TEST_CASE("cell-isolation allows a drop within the tolerance", "[cell-isolation]") {
  HistoryBuilder h = two_cells();
  fault(h, 200, 400, 0);
  writes(h, 200, 10, 2, "us-c1", 1);  // 90% during
  writes(h, 200, 10, 3, "eu-c0");
  CHECK(check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.15).validity ==
        Validity::holds);
  CHECK(check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.05).validity ==
        Validity::violated);
}

TEST_CASE("cell-isolation is unknown without a cell's fault or a customer to judge",
          "[cell-isolation]") {
  HistoryBuilder h = two_cells();
  fault(h, 200, 400, 0);
  // A fault on something that is no cell (the routing data's service).
  auto not_a_cell = check_cell_isolation(CompactHistory::from(h.build()), {{"us-east-1", ""}}, 0.05);
  CHECK(not_a_cell.validity == Validity::unknown);
  // A cell's fault, but no other customer had an operation during it.
  auto silent = check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.05);
  CHECK(silent.validity == Validity::unknown);
}

TEST_CASE("cell-isolation plots each cell's availability over time, the cell's fault marked",
          "[cell-isolation][series]") {
  HistoryBuilder h = two_cells();
  fault(h, 250, 500, 0);
  writes(h, 250, 10, 1, "us-c0", 10);  // the failed cell: 0% while down
  writes(h, 250, 10, 2, "us-c1", 5);   // another cell's: half of them fail
  writes(h, 250, 10, 3, "eu-c0");
  auto r = check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.05);
  REQUIRE(r.validity == Validity::violated);
  REQUIRE(r.series.size() == 1);
  const Series& s = r.series[0];
  CHECK(s.unit == "% ok");
  CHECK(s.fold == SeriesFold::max);
  REQUIRE(s.lines.size() == 3);
  CHECK(s.lines[0].label == "eu-west-1/a");
  CHECK(s.lines[1].label == "us-east-1/a");
  CHECK(s.lines[2].label == "us-east-1/b");
  using Points = std::vector<std::pair<std::int64_t, double>>;
  // 250 ms buckets: all well before the fault, then what each cell had.
  CHECK(s.lines[0].points == Points{{0, 100}, {250, 100}});
  CHECK(s.lines[1].points == Points{{0, 100}, {250, 0}});
  CHECK(s.lines[2].points == Points{{0, 100}, {250, 50}});
  // The fault's window and the suffering customer's first failure.
  REQUIRE(s.marks.size() == 3);
  CHECK(s.marks[0].t_ms == 250);
  CHECK(s.marks[0].label == "cell us-east-1/a down");
  CHECK(s.marks[1].label == "us-c1 (cell us-east-1/b) failed");
  CHECK(s.marks[1].t_ms == 255);
  CHECK(s.marks[2].t_ms == 500);
  CHECK(s.marks[2].label == "cell us-east-1/a back");
}

TEST_CASE("cell-isolation's series is flat when the other cells are untouched",
          "[cell-isolation][series]") {
  HistoryBuilder h = two_cells();
  fault(h, 250, 500, 0);
  writes(h, 250, 10, 2, "us-c1");
  auto r = check_cell_isolation(CompactHistory::from(h.build()), kCellA, 0.05);
  REQUIRE(r.validity == Validity::holds);
  REQUIRE(r.series.size() == 1);
  for (const auto& line : r.series[0].lines)
    for (const auto& [t, v] : line.points) CHECK(v == 100);
  CHECK(r.series[0].marks.size() == 2);  // down and back, no failure
}
