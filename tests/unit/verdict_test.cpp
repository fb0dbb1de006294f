#include "controllers/report/verdict.hpp"

#include <catch2/catch.hpp>

using namespace faultline;

TEST_CASE("the exit code follows the worst invariant: violated over unknown over holds",
          "[verdict]") {
  auto with = [](std::vector<Validity> vs) {
    Verdict v;
    for (auto x : vs) v.results.push_back({"inv", x, "", {}, {}});
    return v.exit_code();
  };
  CHECK(with({}) == kExitHolds);
  CHECK(with({Validity::holds, Validity::holds}) == kExitHolds);
  CHECK(with({Validity::holds, Validity::unknown}) == kExitUnknown);
  CHECK(with({Validity::unknown, Validity::violated}) == kExitViolated);
}

TEST_CASE("verdict.json carries each invariant's result and witness", "[verdict]") {
  Verdict v;
  v.experiment = "e";
  v.results.push_back({"convergence",
                       Validity::violated,
                       "differ",
                       {{"diverged_keys", 1}},
                       {Operation{.type = OpType::ok, .f = "final-read"}}});
  auto j = to_json(v);
  CHECK(j["result"] == "violated");
  CHECK(j["exit_code"] == 1);
  CHECK(j["invariants"][0]["witness"][0]["f"] == "final-read");
  CHECK_THAT(render_text(v, false), Catch::Contains("FAIL  convergence: differ"));
}
