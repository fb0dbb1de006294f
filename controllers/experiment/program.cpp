#include "controllers/experiment/program.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>

namespace faultline {

namespace fs = std::filesystem;

std::optional<std::string> resolve_program(const std::string& program,
                                           const std::string& base_dir) {
  auto executable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string::npos) {
    fs::path p = fs::path(program).is_absolute() ? fs::path(program) : fs::path(base_dir) / program;
    // Absolute and without "..", but not through its symlinks: a multi-call
    // program (Debian's /usr/bin/psql is a link to pg_wrapper, busybox)
    // decides what to be from the name it is run by.
    if (executable(p)) return fs::absolute(p).lexically_normal().string();
    return std::nullopt;
  }
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // Beside faultline in a build directory; in an installed tree, where the
    // package keeps the reference system's programs (lib/faultline).
    for (const fs::path& dir : {self.parent_path(), self.parent_path().parent_path() / "lib/faultline"})
      if (executable(dir / program)) return (dir / program).string();
  }
  const char* path_env = std::getenv("PATH");
  std::string paths = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
  std::istringstream in(paths);
  for (std::string dir; std::getline(in, dir, ':');)
    if (!dir.empty() && executable(fs::path(dir) / program))
      return (fs::path(dir) / program).string();
  return std::nullopt;
}

}  // namespace faultline
