// `faultline validate` on the corpus of malformed experiments in
// tests/experiments/invalid/: each file's first line says the exact error it
// must produce (after the file name), and the exit code must be 254.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

struct Result {
  int code = -1;
  std::string output;
};

Result run(const std::string& command) {
  Result result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) result.output += buf.data();
  int status = ::pclose(pipe);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace

TEST_CASE("faultline validate rejects each malformed experiment with its exact one-line error",
          "[cli]") {
  const fs::path corpus = fs::path(FAULTLINE_SOURCE_DIR) / "tests/experiments/invalid";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    if (entry.path().extension() != ".toml") continue;
    std::ifstream in(entry.path());
    std::string first;
    std::getline(in, first);
    const std::string marker = "# expect: ";
    REQUIRE(first.rfind(marker, 0) == 0);
    const std::string expected = entry.path().string() + ":" + first.substr(marker.size());
    auto result = run(std::string(FAULTLINE_BINARY) + " validate '" + entry.path().string() + "'");
    INFO(entry.path().filename().string());
    CHECK(result.code == 254);
    CHECK(result.output.substr(0, result.output.find('\n')) == expected);
    ++checked;
  }
  CHECK(checked >= 50);
}

TEST_CASE("faultline run refuses each malformed experiment before creating anything", "[cli]") {
  const fs::path corpus = fs::path(FAULTLINE_SOURCE_DIR) / "tests/experiments/invalid";
  const fs::path scratch = fs::temp_directory_path() / ("fl-corpus-" + std::to_string(::getpid()));
  auto namespaces = [] {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/run/netns", ec)) names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  };
  const auto before = namespaces();
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(corpus)) {
    if (entry.path().extension() != ".toml") continue;
    auto result = run(std::string(FAULTLINE_BINARY) + " run --results '" + (scratch / "results").string() +
                      "' --state-dir '" + (scratch / "state").string() + "' '" + entry.path().string() + "'");
    INFO(entry.path().filename().string() << ": " << result.output);
    CHECK(result.code == 254);
    CHECK(result.output.rfind(entry.path().string() + ":", 0) == 0);  // file:line:col: message
    CHECK_FALSE(fs::exists(scratch));  // no results, no journal
    ++checked;
  }
  CHECK(checked >= 50);
  CHECK(namespaces() == before);
}

TEST_CASE("faultline validate accepts every shipped experiment", "[cli]") {
  for (const auto& entry : fs::directory_iterator(fs::path(FAULTLINE_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".toml") continue;
    auto result = run(std::string(FAULTLINE_BINARY) + " validate '" + entry.path().string() + "'");
    INFO(result.output);
    CHECK(result.code == 0);
  }
}

TEST_CASE("faultline run --dry-run prints the routes a partition installs without root", "[cli]") {
  auto result = run(std::string(FAULTLINE_BINARY) + " run --dry-run " + FAULTLINE_SOURCE_DIR +
                    "/experiments/split-brain.toml");
  CHECK(result.code == 0);
  CHECK_THAT(
      result.output,
      Catch::Contains("netns fl-dryrun-us-east-1: route add blackhole 198.18.2.0/24 metric 100"));
  CHECK_THAT(result.output, Catch::Contains("route add blackhole 2001:2:0:1::/64"));
}

TEST_CASE("the command line names an unknown command, suggests the nearest, and has --version",
          "[cli]") {
  const std::string faultline = FAULTLINE_BINARY;
  auto typo = run(faultline + " rn x.toml");
  CHECK(typo.code == 254);
  CHECK(typo.output.find("faultline: 'rn' is not a faultline command; did you mean 'run'?") == 0);
  // Help asked of an unknown command is still an unknown command, not the main help.
  auto help = run(faultline + " frobnicate --help");
  CHECK(help.code == 254);
  CHECK(help.output.find("faultline: 'frobnicate' is not a faultline command (commands: run,") == 0);
  CHECK(std::count(help.output.begin(), help.output.end(), '\n') == 1);
  // A subcommand's --help is its own.
  auto sub = run(faultline + " check --help");
  CHECK(sub.code == 0);
  CHECK(sub.output.find("Usage: " + faultline + " check") != std::string::npos);
  auto version = run(faultline + " --version");
  CHECK(version.code == 0);
  CHECK(version.output.rfind("faultline 0.", 0) == 0);
  CHECK(version.output.find("(commit ") != std::string::npos);
}
