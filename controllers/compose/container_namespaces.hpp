#pragma once
// The network namespaces of running containers, entered through
// /proc/PID/ns/net and held open for the run (so a container that exits
// cannot hand its namespace to another), each with a netlink socket opened
// inside it. The compose topology and the swarm topology keep theirs here.
#include <sys/types.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"

namespace faultline::compose {

class ContainerNamespaces {
 public:
  // `kind` names them in errors: "container", "task".
  explicit ContainerNamespaces(std::string kind) : kind_(std::move(kind)) {}

  // Enters pid's namespace under `name`; a name entered already is kept.
  void enter(const std::string& name, pid_t pid) {
    if (contains(name)) return;
    auto fd = injector::NamespaceFd::open_path("/proc/" + std::to_string(pid) + "/ns/net");
    sockets_[name] =
        std::make_shared<injector::NetlinkSocket>(injector::NetlinkSocket::open_in(fd));
    namespaces_.emplace(name, std::move(fd));
  }
  bool contains(const std::string& name) const { return namespaces_.count(name) != 0; }
  const injector::NamespaceFd& netns(const std::string& name) const {
    auto it = namespaces_.find(name);
    if (it == namespaces_.end()) throw std::out_of_range("no " + kind_ + " namespace " + name);
    return it->second;
  }
  std::shared_ptr<injector::NetlinkSocket> socket(const std::string& name) const {
    auto it = sockets_.find(name);
    if (it == sockets_.end()) throw std::out_of_range("no " + kind_ + " namespace " + name);
    return it->second;
  }

 private:
  std::string kind_;
  std::map<std::string, injector::NamespaceFd> namespaces_;
  std::map<std::string, std::shared_ptr<injector::NetlinkSocket>> sockets_;
};

}  // namespace faultline::compose
