#include "injector/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "injector/kernel_error.hpp"

namespace faultline::injector {

namespace {
std::string path_of(const std::string& key) { return "/proc/sys/" + key; }
}  // namespace

void write_sysctl(const NamespaceFd& ns, const std::string& key, const std::string& value) {
  NetnsEntry inside(ns);
  int fd = ::open(path_of(key).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open sysctl " + key, errno);
  ssize_t written = ::write(fd, value.data(), value.size());
  int err = errno;
  ::close(fd);
  if (written != static_cast<ssize_t>(value.size())) throw_errno("write sysctl " + key, err);
}

std::string read_sysctl(const NamespaceFd& ns, const std::string& key) {
  NetnsEntry inside(ns);
  int fd = ::open(path_of(key).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("open sysctl " + key, errno);
  char buf[256];
  ssize_t n = ::read(fd, buf, sizeof buf);
  int err = errno;
  ::close(fd);
  if (n < 0) throw_errno("read sysctl " + key, err);
  std::string value(buf, static_cast<size_t>(n));
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  return value;
}

void enable_forwarding(const NamespaceFd& ns) {
  write_sysctl(ns, "net/ipv4/ip_forward", "1");
  write_sysctl(ns, "net/ipv6/conf/all/forwarding", "1");
}

}  // namespace faultline::injector
