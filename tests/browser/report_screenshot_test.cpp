// report.html in a real browser: Debian's Chromium, headless, inside a network
// namespace of its own with nothing but a loopback (so any attempt to fetch
// something at view time fails), takes a screenshot; the test decodes the PNG
// and looks for what the plots must have drawn: each region's line in its
// colour, the fault window's shading, the red marks of a violation's witness.
#include <png.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "controllers/checkers/no_lost_writes.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/history/compact_history.hpp"
#include "controllers/report/html_report.hpp"

using namespace faultline;
namespace fs = std::filesystem;

namespace {

struct Image {
  int width = 0, height = 0;
  std::vector<unsigned char> rgba;
  // Pixels within `tolerance` of the colour, in each channel.
  int count(int r, int g, int b, int tolerance = 0, int from_row = 0) const {
    int n = 0;
    for (std::size_t i = static_cast<std::size_t>(from_row) * width * 4; i + 3 < rgba.size(); i += 4)
      if (std::abs(rgba[i] - r) <= tolerance && std::abs(rgba[i + 1] - g) <= tolerance &&
          std::abs(rgba[i + 2] - b) <= tolerance)
        ++n;
    return n;
  }
};

Image read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  REQUIRE(png_image_begin_read_from_file(&image, path.c_str()) != 0);
  image.format = PNG_FORMAT_RGBA;
  Image out{static_cast<int>(image.width), static_cast<int>(image.height), {}};
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  REQUIRE(png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr) != 0);
  return out;
}

Operation op(std::int64_t ms, OpType type, std::int64_t process, const std::string& f,
             nlohmann::json value, const std::string& region) {
  return {.time = ms * 1000000, .type = type, .process = process, .f = f,
          .value = std::move(value), .region = region};
}

int hex(const char* colour, int at) { return std::stoi(std::string(colour + 1 + at * 2, 2), nullptr, 16); }

}  // namespace

TEST_CASE("report.html renders its plots in headless Chromium with no network", "[browser]") {
  auto e = parse_experiment(R"(
[experiment]
name = "screenshot"
description = "three regions, one partition, one violation"
duration = "12s"
[[region]]
name = "us-east-1"
geo = "us"
[[region]]
name = "eu-west-1"
geo = "eu"
[[region]]
name = "ap-south-1"
geo = "ap"
)", "screenshot.toml");
  // Each region at its own rate and latency (so no line hides another), and
  // eu-west-1 slower during the fault.
  std::vector<Operation> history;
  std::int64_t process = 0;
  for (std::size_t r = 0; r < e.regions.size(); ++r) {
    const std::int64_t every = 50 * static_cast<std::int64_t>(r + 1);
    for (std::int64_t ms = 0; ms < 12000; ms += every) {
      std::int64_t latency = 5 + 10 * static_cast<std::int64_t>(r);
      if (e.regions[r].name == "eu-west-1" && ms > 3000 && ms < 9000) latency = 60;
      history.push_back(op(ms, OpType::invoke, process, "read", {"k", nullptr}, e.regions[r].name));
      history.push_back(op(ms + latency, OpType::ok, process, "read", {"k", 1}, e.regions[r].name));
      ++process;
    }
  }
  // A split brain's stale reads: us-east-1 writes key s every 200 ms; while
  // the partition holds, eu-west-1 keeps reading the value from before it.
  for (std::int64_t ms = 0, n = 1; ms < 12000; ms += 200, ++n) {
    history.push_back(op(ms, OpType::invoke, 900000, "write", {"s", n}, "us-east-1"));
    history.push_back(op(ms + 2, OpType::ok, 900000, "write", {"s", n}, "us-east-1"));
    const std::int64_t seen = ms > 3000 && ms < 9000 ? 15 : n;  // 15: written at 2800 ms
    history.push_back(op(ms + 100, OpType::invoke, 900001, "read", {"s", nullptr}, "eu-west-1"));
    history.push_back(op(ms + 101, OpType::ok, 900001, "read", {"s", seen}, "eu-west-1"));
  }
  std::sort(history.begin(), history.end(),
            [](const Operation& a, const Operation& b) { return a.time < b.time; });
  nlohmann::json what{{"fault", 0}, {"what", "partition [eu-west-1] | [us-east-1,ap-south-1]"}};
  history.push_back(op(3000, OpType::ok, kNemesisProcess, "start-partition", what, ""));
  history.push_back(op(9000, OpType::ok, kNemesisProcess, "stop-partition", what, ""));
  Verdict verdict;
  verdict.experiment = e.name;
  verdict.run_id = "shot01";
  CheckResult lost;
  lost.invariant = "no-lost-writes";
  lost.validity = Validity::violated;
  lost.summary = "1 of 100 acknowledged writes lost";
  lost.witness = {op(6000, OpType::ok, 7, "write", {"k", 9}, "eu-west-1")};
  // The checker's own verdict on the stale reads, with its series.
  const CheckResult judged = check_no_lost_writes(CompactHistory::from(history));
  REQUIRE(judged.details["stale_reads"].get<int>() > 20);
  verdict.results = {lost, judged};

  const fs::path dir = fs::temp_directory_path() / ("faultline-shot-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path html = dir / "report.html", png = dir / "report.png";
  const std::string page = render_html(e, verdict, history);
  std::ofstream(html) << page;
  CHECK(page.find("<h2>What each invariant judged, over time</h2>") != std::string::npos);
  CHECK(page.find("aria-label=\"stale reads per region (per 250 ms)\"") != std::string::npos);

  // A network namespace of its own: loopback only, and down at that.
  const std::string command =
      "unshare --net chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--user-data-dir=" + (dir / "profile").string() +
      " --window-size=1000,2400 --screenshot=" + png.string() + " file://" + html.string() +
      " >" + (dir / "chromium.log").string() + " 2>&1";
  const int status = std::system(command.c_str());
  INFO("chromium: " << command << " (log in " << (dir / "chromium.log").string() << ")");
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(fs::exists(png));

  const Image image = read_png(png.string());
  CHECK(image.width == 1000);
  for (std::size_t r = 0; r < e.regions.size(); ++r) {
    const char* c = region_colour(r);
    INFO("region " << e.regions[r].name << " drawn in " << c);
    CHECK(image.count(hex(c, 0), hex(c, 1), hex(c, 2)) > 300);  // its latency and throughput lines
  }
  // #fbbf24 at 28% over white, the fault window on both charts.
  CHECK(image.count(254, 237, 194, 3) > 20000);
  // The witness marks (#dc2626) on both charts.
  CHECK(image.count(220, 38, 38, 2) > 40);
  // Below the latency and throughput charts (which end near row 900), the
  // stale reads' bars in eu-west-1's colour: dozens of reads, each bar many
  // times a line's pixels.
  const char* eu = region_colour(1);
  const int eu_below = image.count(hex(eu, 0), hex(eu, 1), hex(eu, 2), 0, 950);
  INFO("eu-west-1's pixels below row 950: " << eu_below);
  CHECK(eu_below > 3000);
  fs::remove_all(dir);
}
