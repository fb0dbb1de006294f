#include "controllers/history/history.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "controllers/history/compact_history.hpp"

using namespace faultline;

TEST_CASE("operations round-trip through Jepsen-style JSON", "[history]") {
  Operation op{.index = 7,
               .time = 1234,
               .type = OpType::info,
               .process = 3,
               .f = "write",
               .value = nlohmann::json::array({"k1", 42}),
               .error = "timeout",
               .region = "eu-west-1",
               .served_by = "eu-west-1"};
  auto j = to_json(op);
  CHECK(j["type"] == "info");
  CHECK(j["process"] == 3);
  auto back = operation_from_json(j);
  CHECK(back.index == 7);
  CHECK(back.time == 1234);
  CHECK(back.type == OpType::info);
  CHECK(back.value == op.value);
  CHECK(back.error == "timeout");
  CHECK(back.region == "eu-west-1");
  CHECK(back.served_by == "eu-west-1");
}

TEST_CASE("the nemesis is written as \"nemesis\" and read back", "[history]") {
  Operation op{.type = OpType::ok, .process = kNemesisProcess, .f = "start-partition"};
  auto j = to_json(op);
  CHECK(j["process"] == "nemesis");
  CHECK(operation_from_json(j).process == kNemesisProcess);
}

TEST_CASE("the recorder numbers operations and streams them to history.jsonl", "[history]") {
  auto path = std::filesystem::temp_directory_path() / "faultline-history-test.jsonl";
  {
    HistoryRecorder recorder(path.string(), std::chrono::steady_clock::now());
    recorder.record({.type = OpType::invoke,
                     .process = 0,
                     .f = "read",
                     .value = nlohmann::json::array({"k", nullptr})});
    recorder.record(
        {.type = OpType::ok, .process = 0, .f = "read", .value = nlohmann::json::array({"k", 1})});
    recorder.flush();
  }
  auto ops = read_history(path.string());
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].index == 0);
  CHECK(ops[1].index == 1);
  CHECK(ops[1].time >= ops[0].time);
  std::filesystem::remove(path);
}

TEST_CASE("a malformed history line is reported with its line number", "[history]") {
  auto path = std::filesystem::temp_directory_path() / "faultline-history-bad.jsonl";
  {
    std::ofstream out(path);
    out << R"({"index":0,"time":0,"type":"ok","process":0,"f":"read","value":null})"
        << "\n";
    out << R"({"index":1,"time":0,"type":"maybe","process":0,"f":"read"})"
        << "\n";
  }
  CHECK_THROWS_WITH(read_history(path.string()),
                    Catch::Contains(":2:") && Catch::Contains("maybe"));
  std::filesystem::remove(path);
}

TEST_CASE("the recorder's line writer writes exactly what the JSON library writes", "[history]") {
  std::vector<Operation> ops;
  ops.push_back({.f = "read", .value = nlohmann::json::array({"k1", nullptr})});
  ops.push_back({.index = 18446744073709551615ULL,
                 .time = -5,
                 .type = OpType::ok,
                 .process = kNemesisProcess,
                 .f = "start-partition",
                 .value = {{"fault", 2}, {"what", "partition [us] | [eu]"}},
                 .session = -1});
  ops.push_back({.index = 3,
                 .time = 9223372036854775807LL,
                 .type = OpType::fail,
                 .process = 12,
                 .f = "write",
                 .value = nlohmann::json::array({"eu-west-1-c0/k3", 12000004}),
                 .error = std::string("quote \" backslash \\ tab \t newline \n bell \x07 del \x7f"),
                 .region = "eu-west-1",
                 .served_by = "us-east-1",
                 .session = 0,
                 .version = "1764000000000@us-east-1",
                 .cell = "b"});
  ops.push_back({.type = OpType::info,
                 .f = "register",
                 .value = {{"customer", "ü-customer"}, {"home", "ap"}},
                 .error = "réponse tardive: 504",
                 .region = "ap-south-1"});
  for (const auto& op : ops) {
    std::string line;
    append_json_line(line, op);
    CHECK(line == to_json(op).dump());
    CHECK(operation_from_json(nlohmann::json::parse(line)).f == op.f);
    CHECK(operation_from_json(nlohmann::json::parse(line)).cell == op.cell);
  }
}

TEST_CASE("for_each_invocation pairs invocations with completions by process; the unfinished last",
          "[history]") {
  auto op = [](std::uint64_t i, OpType type, std::int64_t process) {
    return Operation{.index = i, .time = static_cast<std::int64_t>(i), .type = type, .process = process,
                     .f = "write", .value = nlohmann::json::array({"k", 1})};
  };
  const std::vector<Operation> ops{op(0, OpType::invoke, 1), op(1, OpType::invoke, 2),
                                   op(2, OpType::ok, 2),     op(3, OpType::invoke, 1),
                                   op(4, OpType::invoke, 3), op(5, OpType::fail, 9)};
  const CompactHistory h = CompactHistory::from(ops);
  std::vector<std::pair<std::size_t, std::size_t>> seen;
  for_each_invocation(
      h, [](const CompactOp&) { return true; },
      [&](std::size_t invoke, std::size_t completion) { seen.emplace_back(invoke, completion); });
  // 2 completes at 2; process 1 invoked again at 3 with 0 in flight (0 never
  // completed); at the end 3 and 4 are still open; 5 completes nothing.
  const std::vector<std::pair<std::size_t, std::size_t>> expected{
      {1, 2}, {0, SIZE_MAX}, {3, SIZE_MAX}, {4, SIZE_MAX}};
  CHECK(seen == expected);
}

TEST_CASE("a view derived from a compact history is built once and shared", "[history]") {
  const CompactHistory h = CompactHistory::from({});
  int built = 0;
  auto build = [&] {
    ++built;
    return std::vector<int>{1, 2, 3};
  };
  const auto& first = h.derived<std::vector<int>>(build);
  const auto& second = h.derived<std::vector<int>>(build);
  CHECK(built == 1);
  CHECK(&first == &second);
  CHECK(second == std::vector<int>{1, 2, 3});
  // Another type is another view.
  CHECK(h.derived<std::string>([] { return std::string("x"); }) == "x");
}
