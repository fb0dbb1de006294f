// Reading histories faultline did not record: Jepsen's EDN.
#include "controllers/history/edn_history.hpp"

#include <catch2/catch.hpp>

#include "controllers/checkers/linearizable.hpp"
#include "controllers/checkers/set_full.hpp"
#include "controllers/history/operation_kinds.hpp"

using namespace faultline;
using nlohmann::json;

TEST_CASE("EDN forms: maps, vectors, sets, keywords, strings, numbers, tags, comments", "[edn-read]") {
  const json forms = parse_edn(R"(; a comment
{:a 1, :b [1 2.5 -3N] :c #{:x "y\"z"} :d nil :e true}
#jepsen.history.Op{:index 7} #_ {:dropped 1} (1 2))");
  REQUIRE(forms.size() == 3);
  CHECK(forms[0]["a"] == 1);
  CHECK(forms[0]["b"] == json::array({1, 2.5, -3}));
  CHECK(forms[0]["c"] == json::array({"x", "y\"z"}));
  CHECK(forms[0]["d"].is_null());
  CHECK(forms[0]["e"] == true);
  CHECK(forms[1]["index"] == 7);
  CHECK(forms[2] == json::array({1, 2}));
  CHECK_THROWS_WITH(parse_edn("{:a 1\n :b [1 2}"), Catch::Contains("2:"));
  CHECK_THROWS_WITH(parse_edn("{:a}"), Catch::Contains("odd number"));
}

TEST_CASE("Jepsen operations: independent tuples, bare registers, the nemesis, transactions", "[edn-read]") {
  const auto ops = operations_from_edn(R"([
{:process 0 :type :invoke :f :write :value [3 5] :time 10}
{:process 0 :type :ok :f :write :value [3 5] :time 20}
{:process 1 :type :invoke :f :cas :value [3 [5 6]] :time 30}
{:process :nemesis :type :info :f :start-partition :value "cut"}
{:process 2 :type :ok :f :txn :value [[:append 1 4] [:r 2 [1 2]]] :time 40}
])");
  REQUIRE(ops.size() == 5);
  CHECK(ops[0].value == json::array({"3", 5}));
  CHECK(ops[0].time == 10);
  CHECK(ops[2].value == json::array({"3", json::array({5, 6})}));
  CHECK(ops[3].process == kNemesisProcess);
  CHECK(ops[3].f == "start-partition");
  CHECK(ops[4].value == json::array({json::array({"append", "1", 4}), json::array({"r", "2", json::array({1, 2})})}));
  CHECK_THROWS_WITH(operations_from_edn("{:process 0 :type :maybe :f :read}"),
                    Catch::Contains("operation 1: :type must be"));
}

TEST_CASE("a bare set history reads whole sets, even of two elements, and is judged", "[edn-read]") {
  const auto ops = operations_from_edn(R"(
{:process 0 :type :invoke :f :add :value 1}
{:process 0 :type :ok :f :add :value 1}
{:process 0 :type :invoke :f :add :value 2}
{:process 0 :type :ok :f :add :value 2}
{:process 1 :type :invoke :f :read :value nil}
{:process 1 :type :ok :f :read :value #{1 2}}
{:process 1 :type :invoke :f :read :value nil}
{:process 1 :type :ok :f :read :value #{2}}
)");
  CHECK(ops[5].value == json::array({"set", json::array({1, 2})}));
  const CheckResult r = check_set(CompactHistory::from(ops));
  CHECK(r.validity == Validity::violated);
  CHECK(r.details["lost"] == 1);
}

TEST_CASE("a bare register history from Knossos is judged for linearizability", "[edn-read]") {
  const auto ops = operations_from_edn(R"(
{:process 0 :type :invoke :f :write :value 1}
{:process 0 :type :ok :f :write :value 1}
{:process 1 :type :invoke :f :read :value nil}
{:process 1 :type :ok :f :read :value 1}
)");
  CHECK(check_linearizable(CompactHistory::from(ops), {}).validity == Validity::holds);
}
