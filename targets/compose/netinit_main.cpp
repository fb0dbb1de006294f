// faultline-netinit: the network plumbing of a container in the compose stack,
// then the container's real program with no privileges left.
//
//   faultline-netinit [--address CIDR=ADDRESS]... [--route PREFIX=GATEWAY]...
//                     [--user UID:GID] [-- PROGRAM ARGS...]
//
// --address adds CIDR to the link that holds ADDRESS (a gateway made by
//          `faultline compose-override` takes its region's default-gateway
//          address, which docker reserves but leaves unheld, so every host's
//          default route leads to it without a route of its own)
// --route  adds PREFIX via GATEWAY (a host sends other regions' traffic
//          through its region's gateway, not through docker's bridge)
// --user   the user the program runs as
//
// Docker gives the container NET_ADMIN for this step only: before the program
// starts, every capability is dropped from the effective, permitted,
// inheritable and bounding sets, so a service never holds one. With no
// PROGRAM, it holds the container's network namespace until SIGTERM (a
// gateway, a client host).
#include <grp.h>
#include <linux/capability.h>
#include <linux/rtnetlink.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
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
  std::vector<std::pair<std::string, std::string>> routes, addresses;
  std::string user;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) fail("option " + arg + " needs a value");
    if (arg == "--route")
      routes.push_back(split_pair(argv[++i], "--route"));
    else if (arg == "--address")
      addresses.push_back(split_pair(argv[++i], "--address"));
    else if (arg == "--user")
      user = argv[++i];
    else
      fail("unknown option '" + arg + "'");
  }
  try {
    NetlinkSocket sock = NetlinkSocket::open_here();
    for (const auto& [cidr, beside] : addresses) {
      auto link = faultline::injector::link_with_address(sock, beside);
      if (!link) fail("--address " + cidr + "=" + beside + ": no link holds " + beside);
      faultline::injector::add_address(sock, *link, cidr);
    }
    for (const auto& [prefix, gateway] : routes)
      // The namespace provider's metric for region routes: a partition's
      // blackhole routes (lower metrics) win over them while they exist.
      faultline::injector::add_route(sock, {.destination = prefix,
                                            .gateway = gateway,
                                            .metric = kRegionRouteMetric,
                                            .protocol = RTPROT_STATIC});
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
