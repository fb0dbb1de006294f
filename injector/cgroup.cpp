#include "injector/cgroup.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "injector/kernel_error.hpp"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270  // linux/magic.h
#endif

namespace faultline::injector {

namespace fs = std::filesystem;

namespace {

constexpr const char* kOwnMount = "/run/faultline/cgroup2";

bool is_cgroup2(const std::string& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

void write_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open " + path, errno);
  const ssize_t n = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) throw_errno("write " + path, err);
}

// A key's value in a "key value" file such as cgroup.events.
std::optional<std::string> field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  for (std::string k, v; in >> k >> v;)
    if (k == key) return v;
  return std::nullopt;
}

template <class Done>
bool wait_for(Done done, std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace

std::optional<std::string> Cgroup::hierarchy() {
  static const std::optional<std::string> found = []() -> std::optional<std::string> {
    for (const char* candidate : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified", kOwnMount})
      if (is_cgroup2(candidate)) return std::string(candidate);
    std::error_code ec;
    fs::create_directories(kOwnMount, ec);
    if (!ec && ::mount("none", kOwnMount, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0)
      return std::string(kOwnMount);
    return std::nullopt;
  }();
  return found;
}

Cgroup::Cgroup(std::string path) : path_(std::move(path)) {
  procs_fd_ = ::open((path_ + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
  if (procs_fd_ < 0) throw_errno("open " + path_ + "/cgroup.procs", errno);
}

Cgroup Cgroup::create(const std::string& relative) {
  const auto root = hierarchy();
  if (!root) throw KernelError("cgroup " + relative, "no cgroup v2 hierarchy on this machine");
  const fs::path path = fs::path(*root) / relative;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw_errno("mkdir " + path.string(), ec.value());
  return Cgroup(path.string());
}

Cgroup::Cgroup(Cgroup&& other) noexcept
    : path_(std::move(other.path_)), procs_fd_(std::exchange(other.procs_fd_, -1)) {
  other.path_.clear();
}

Cgroup& Cgroup::operator=(Cgroup&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::move(other.path_);
    other.path_.clear();
    procs_fd_ = std::exchange(other.procs_fd_, -1);
  }
  return *this;
}

Cgroup::~Cgroup() { remove(); }

std::vector<pid_t> Cgroup::pids() const {
  std::vector<pid_t> out;
  std::ifstream in(path_ + "/cgroup.procs");
  for (pid_t pid; in >> pid;) out.push_back(pid);
  return out;
}

bool Cgroup::populated() const {
  return field(path_ + "/cgroup.events", "populated").value_or("0") == "1";
}

void Cgroup::kill(std::chrono::milliseconds patience) {
  if (path_.empty() || !populated()) return;
  write_file(path_ + "/cgroup.kill", "1");
  if (!wait_for([&] { return !populated(); }, patience))
    throw KernelError("kill cgroup " + path_, "processes still there after " +
                                                   std::to_string(patience.count()) + " ms");
}

void Cgroup::freeze(bool frozen) {
  write_file(path_ + "/cgroup.freeze", frozen ? "1" : "0");
  const std::string want = frozen ? "1" : "0";
  wait_for([&] { return field(path_ + "/cgroup.events", "frozen").value_or(want) == want; },
           std::chrono::milliseconds(2000));
}

void Cgroup::remove() noexcept {
  if (path_.empty()) return;
  try {
    kill();
  } catch (...) {
  }
  if (procs_fd_ >= 0) ::close(procs_fd_);
  procs_fd_ = -1;
  ::rmdir(path_.c_str());
  path_.clear();
}

int Cgroup::kill_tree(const std::string& relative) {
  const auto root = hierarchy();
  if (!root) return 0;
  const fs::path top = fs::path(*root) / relative;
  std::error_code ec;
  if (!fs::is_directory(top, ec)) return 0;
  std::vector<fs::path> dirs{top};
  for (auto it = fs::recursive_directory_iterator(top, ec); !ec && it != fs::end(it); it.increment(ec))
    if (it->is_directory(ec)) dirs.push_back(it->path());
  int killed = 0;
  for (const auto& dir : dirs) {
    std::ifstream in(dir / "cgroup.procs");
    for (pid_t pid; in >> pid;) ++killed;
  }
  // cgroup.kill on the top reaches every descendant cgroup.
  if (killed > 0) {
    write_file((top / "cgroup.kill").string(), "1");
    if (!wait_for([&] { return field((top / "cgroup.events").string(), "populated").value_or("0") == "0"; },
                  std::chrono::milliseconds(5000)))
      throw KernelError("kill cgroup " + top.string(), "processes still there after 5 s");
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) ::rmdir(it->c_str());
  return killed;
}

}  // namespace faultline::injector
