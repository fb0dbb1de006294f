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
