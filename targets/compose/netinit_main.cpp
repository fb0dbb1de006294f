// faultline-netinit: the network plumbing of a container in the compose stack,
// then the container's real program with no privileges left.
//
//   faultline-netinit [--address CIDR[=ADDRESS]]... [--route PREFIX=GATEWAY]...
//                     [--user UID:GID] [-- PROGRAM ARGS...]
//
// --address adds CIDR to the link that holds ADDRESS or, without one, to the
//          link holding an address in CIDR's network. A gateway made by
//          `faultline compose-override` takes its region's default-gateway
//          address, which docker reserves but leaves unheld, so every host's
//          default route leads to it without a route of its own; a swarm
//          task cannot be given a fixed address: it gets one from swarm and
//          its region's fixed one from here, next to it
// --route  adds PREFIX via GATEWAY (a host sends other regions' traffic
//          through its region's gateway, not through docker's bridge).
//          GATEWAY may be a name (a swarm service's, resolved through
//          swarm's DNS, waiting up to 60 s for it to appear)
// --user   the user the program runs as
//
// Docker gives the container NET_ADMIN for this step only: before the program
// starts, every capability is dropped from the effective, permitted,
// inheritable and bounding sets, so a service never holds one. With no
// PROGRAM, it holds the container's network namespace until SIGTERM (a
// gateway, a client host).
#include <arpa/inet.h>
#include <grp.h>
#include <netdb.h>
#include <linux/capability.h>
#include <linux/rtnetlink.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "controllers/topology/plan.hpp"
#include "injector/links.hpp"
#include "injector/netlink_socket.hpp"
#include "injector/routes.hpp"

namespace {

using faultline::kRegionRouteMetric;
using faultline::injector::NetlinkSocket;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "faultline-netinit: %s\n", message.c_str());
  std::exit(2);
}

std::pair<std::string, std::string> split_pair(const std::string& text, const char* option) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    fail(std::string(option) + " wants A=B, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// A gateway given by name: its address in the prefix's family, once the
// name resolves (the other task may not be up yet).
std::string resolve_gateway(const std::string& gateway, const std::string& prefix) {
  const int family = prefix.find(':') == std::string::npos ? AF_INET : AF_INET6;
  unsigned char bytes[16];
  if (::inet_pton(family, gateway.c_str(), bytes) == 1) return gateway;
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_STREAM;
  for (int attempt = 0; attempt < 600; ++attempt) {
    addrinfo* found = nullptr;
    if (::getaddrinfo(gateway.c_str(), nullptr, &hints, &found) == 0 && found != nullptr) {
      char text[INET6_ADDRSTRLEN] = {};
      const void* raw = family == AF_INET
                            ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
                            : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
      ::inet_ntop(family, raw, text, sizeof text);
      ::freeaddrinfo(found);
      return text;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  fail("gateway '" + gateway + "' for " + prefix + " did not resolve within 60 s");
}

void become(const std::string& spec) {
  auto colon = spec.find(':');
  if (colon == std::string::npos) fail("--user wants UID:GID, got '" + spec + "'");
  const gid_t gid = static_cast<gid_t>(std::stoul(spec.substr(colon + 1)));
  const uid_t uid = static_cast<uid_t>(std::stoul(spec.substr(0, colon)));
  if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0)
    fail("cannot become " + spec + ": " + std::strerror(errno));
}

// The bounding set first (that needs CAP_SETPCAP), then the user (setuid
// clears the permitted set), then whatever is left.
void drop_capabilities(const std::string& user) {
  for (int cap = 0; cap <= CAP_LAST_CAP; ++cap)
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
      fail(std::string("cannot drop capability from the bounding set: ") + std::strerror(errno));
  if (!user.empty()) become(user);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0)
    fail(std::string("cannot clear capabilities: ") + std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> routes;
  std::vector<std::pair<std::string, std::string>> addresses;  // CIDR, beside ("": in its network)
  std::string user;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) fail("option " + arg + " needs a value");
    if (arg == "--address")
      addresses.push_back(std::string(argv[i + 1]).find('=') == std::string::npos
                              ? std::pair<std::string, std::string>{argv[++i], ""}
                              : split_pair(argv[++i], "--address"));
    else if (arg == "--route")
      routes.push_back(split_pair(argv[++i], "--route"));
    else if (arg == "--user")
      user = argv[++i];
    else
      fail("unknown option '" + arg + "'");
  }
  try {
    NetlinkSocket sock = NetlinkSocket::open_here();
    for (const auto& [cidr, beside] : addresses) {
      auto link = beside.empty() ? faultline::injector::link_in_network(sock, cidr)
                                 : faultline::injector::link_with_address(sock, beside);
      if (!link)
        fail("--address " + cidr + (beside.empty() ? ": no link holds an address in its network"
                                                   : "=" + beside + ": no link holds " + beside));
      faultline::injector::add_address(sock, *link, cidr);
    }
    for (const auto& [prefix, name] : routes) {
      const std::string gateway = resolve_gateway(name, prefix);
      // The namespace provider's metric for region routes: a partition's
      // blackhole routes (lower metrics) win over them while they exist.
      faultline::injector::add_route(sock, {.destination = prefix,
                                            .gateway = gateway,
                                            .metric = kRegionRouteMetric,
                                            .protocol = RTPROT_STATIC});
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  drop_capabilities(user);
  if (i < argc) {
    ::execvp(argv[i], argv + i);
    fail(std::string("cannot run ") + argv[i] + ": " + std::strerror(errno));
  }
  // Hold the namespace. As PID 1 no signal has a default action, so wait for one.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  int sig = 0;
  sigwait(&set, &sig);
  return 0;
}
