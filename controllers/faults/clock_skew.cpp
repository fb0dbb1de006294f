#include "controllers/faults/clock_skew.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace faultline {

namespace fs = std::filesystem;

std::optional<std::string> find_libfaketime() {
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu/faketime", "/usr/lib/aarch64-linux-gnu/faketime",
                          "/usr/lib/faketime", "/usr/local/lib/faketime"}) {
    fs::path lib = fs::path(dir) / "libfaketimeMT.so.1";
    std::error_code ec;
    if (fs::is_regular_file(lib, ec)) return lib.string();
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> faketime_environment(
    const std::string& library, const std::string& clock_file) {
  return {{"LD_PRELOAD", library},
          {"FAKETIME_TIMESTAMP_FILE", clock_file},
          {"FAKETIME_NO_CACHE", "1"},
          {"FAKETIME_DONT_FAKE_MONOTONIC", "1"}};
}

std::string faketime_spec(Duration offset, double drift) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.3f x%.6f", static_cast<double>(offset.count()) / 1000.0,
                1.0 + drift);
  return buf;
}

void write_clock_file(const std::string& path, const std::string& spec) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << spec << "\n";
    if (!out) throw std::runtime_error("cannot write the clock file " + tmp);
  }
  fs::rename(tmp, path);
}

}  // namespace faultline
