#include "injector/network_namespace.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "injector/kernel_error.hpp"

namespace faultline::injector {

namespace {

std::string path_of(const std::string& name) { return std::string(kNetnsRunDir) + "/" + name; }

void check_name(const std::string& name) {
  if (name.empty() || name.size() > 200 || name.find('/') != std::string::npos || name == "." ||
      name == "..")
    throw KernelError("create namespace '" + name + "'", "not a valid namespace name", EINVAL);
}

// iproute2 (ip/ipnetns.c, netns_add) makes /run/netns a shared mount point so
// that a namespace mounted there later also appears in mount namespaces that
// were cloned earlier (ip netns exec). We keep that behaviour so `ip netns`
// sees our namespaces exactly as its own.
void prepare_run_dir() {
  if (::mkdir(kNetnsRunDir, 0755) != 0 && errno != EEXIST)
    throw_errno(std::string("mkdir ") + kNetnsRunDir, errno);
  if (::mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) == 0) return;
  if (errno != EINVAL) throw_errno(std::string("make ") + kNetnsRunDir + " a shared mount", errno);
  // Not a mount point yet: bind it on itself, then share it.
  if (::mount(kNetnsRunDir, kNetnsRunDir, "none", MS_BIND | MS_REC, nullptr) != 0)
    throw_errno(std::string("bind-mount ") + kNetnsRunDir, errno);
  if (::mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) != 0)
    throw_errno(std::string("make ") + kNetnsRunDir + " a shared mount", errno);
}

}  // namespace

NamespaceFd& NamespaceFd::operator=(NamespaceFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

NamespaceFd::~NamespaceFd() {
  if (fd_ >= 0) ::close(fd_);
}

NamespaceFd NamespaceFd::open_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open namespace " + path, errno);
  return NamespaceFd(fd);
}

NamespaceFd NamespaceFd::open_named(const std::string& name) { return open_path(path_of(name)); }

NamespaceFd NamespaceFd::of_this_thread() { return open_path("/proc/thread-self/ns/net"); }

NetnsEntry::NetnsEntry(const NamespaceFd& target) : original_(NamespaceFd::of_this_thread()) {
  if (::setns(target.get(), CLONE_NEWNET) != 0) throw_errno("enter network namespace", errno);
}

NetnsEntry::~NetnsEntry() {
  // Returning to a namespace we were in cannot fail short of a kernel bug; a
  // thread left in the wrong namespace would act on the wrong network, so a
  // failure here is fatal rather than ignored.
  if (::setns(original_.get(), CLONE_NEWNET) != 0) std::terminate();
}

void enter_namespace(const NamespaceFd& target) {
  if (::setns(target.get(), CLONE_NEWNET) != 0) throw_errno("enter network namespace", errno);
}

NetworkNamespace NetworkNamespace::create(const std::string& name) {
  check_name(name);
  prepare_run_dir();
  const std::string path = path_of(name);
  int placeholder = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (placeholder < 0) {
    if (errno == EEXIST) throw KernelError("create namespace " + name, "it already exists", EEXIST);
    throw_errno("create " + path, errno);
  }
  ::close(placeholder);

  // unshare(2) with CLONE_NEWNET moves only the calling thread, so a short-lived
  // thread makes the namespace and pins it with a bind mount before it exits.
  int error = 0;
  std::string step;
  std::thread maker([&] {
    if (::unshare(CLONE_NEWNET) != 0) {
      error = errno;
      step = "unshare(CLONE_NEWNET)";
      return;
    }
    if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
      error = errno;
      step = "bind-mount namespace on " + path;
    }
  });
  maker.join();
  if (error != 0) {
    ::unlink(path.c_str());
    throw_errno("create namespace " + name + ": " + step, error);
  }
  try {
    return NetworkNamespace(name, NamespaceFd::open_named(name));
  } catch (...) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    throw;
  }
}

NetworkNamespace::NetworkNamespace(NetworkNamespace&& other) noexcept
    : name_(std::move(other.name_)), fd_(std::move(other.fd_)) {
  other.name_.clear();
}

NetworkNamespace& NetworkNamespace::operator=(NetworkNamespace&& other) noexcept {
  if (this != &other) {
    remove();
    name_ = std::move(other.name_);
    fd_ = std::move(other.fd_);
    other.name_.clear();
  }
  return *this;
}

void NetworkNamespace::remove() noexcept {
  fd_ = NamespaceFd();
  if (name_.empty()) return;
  delete_named_namespace(name_);
  name_.clear();
}

std::vector<std::string> list_named_namespaces(const std::string& prefix) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(kNetnsRunDir);
  if (dir == nullptr) return names;
  while (dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (name.compare(0, prefix.size(), prefix) == 0) names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

bool named_namespace_exists(const std::string& name) {
  struct stat st {};
  return ::stat(path_of(name).c_str(), &st) == 0;
}

bool delete_named_namespace(const std::string& name) {
  const std::string path = path_of(name);
  ::umount2(path.c_str(), MNT_DETACH);
  return ::unlink(path.c_str()) == 0;
}

}  // namespace faultline::injector
