#pragma once
// Network namespaces as owned values.
//
// A named namespace is what `ip netns add` makes: a bind mount of a namespace
// file on /run/netns/NAME, so the namespace outlives the thread that made it and
// other tools (`ip netns list`, `ip netns exec`) see it. We make it the same way
// without running `ip`.
#include <string>
#include <vector>

namespace faultline::injector {

inline constexpr const char* kNetnsRunDir = "/run/netns";

// An open namespace file descriptor. Move-only; closes on destruction.
class NamespaceFd {
 public:
  NamespaceFd() = default;
  explicit NamespaceFd(int fd) : fd_(fd) {}
  NamespaceFd(NamespaceFd&& other) noexcept : fd_(other.release()) {}
  NamespaceFd& operator=(NamespaceFd&& other) noexcept;
  NamespaceFd(const NamespaceFd&) = delete;
  NamespaceFd& operator=(const NamespaceFd&) = delete;
  ~NamespaceFd();

  static NamespaceFd open_named(const std::string& name);  // /run/netns/NAME
  static NamespaceFd open_path(const std::string& path);   // e.g. /proc/PID/ns/net
  static NamespaceFd of_this_thread();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Moves the calling thread into a namespace for the scope of this object and
// back on destruction. setns(2) acts on one thread, so other threads are
// unaffected; sockets opened inside stay in that namespace for their life.
class NetnsEntry {
 public:
  explicit NetnsEntry(const NamespaceFd& target);
  ~NetnsEntry();
  NetnsEntry(const NetnsEntry&) = delete;
  NetnsEntry& operator=(const NetnsEntry&) = delete;

 private:
  NamespaceFd original_;
};

// Moves the calling thread into `target` for good (worker threads that live in
// one namespace, such as a region's workload clients).
void enter_namespace(const NamespaceFd& target);

// Owns a named namespace: created by create(), deleted on destruction.
class NetworkNamespace {
 public:
  static NetworkNamespace create(const std::string& name);

  NetworkNamespace(NetworkNamespace&& other) noexcept;
  NetworkNamespace& operator=(NetworkNamespace&& other) noexcept;
  NetworkNamespace(const NetworkNamespace&) = delete;
  NetworkNamespace& operator=(const NetworkNamespace&) = delete;
  ~NetworkNamespace() { remove(); }

  const std::string& name() const { return name_; }
  const NamespaceFd& fd() const { return fd_; }
  // Unmounts and unlinks the name; the kernel frees the namespace (and every
  // link in it) once no process or descriptor holds it. Idempotent.
  void remove() noexcept;

 private:
  NetworkNamespace(std::string name, NamespaceFd fd) : name_(std::move(name)), fd_(std::move(fd)) {}
  std::string name_;
  NamespaceFd fd_;
};

std::vector<std::string> list_named_namespaces(const std::string& prefix = "");
bool named_namespace_exists(const std::string& name);
// Deletes a named namespace this process does not hold a handle for (cleanup
// of a run that died). Returns false when it did not exist.
bool delete_named_namespace(const std::string& name);

}  // namespace faultline::injector
