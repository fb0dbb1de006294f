#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "injector/kernel_error.hpp"
#include "injector/links.hpp"
#include "injector/netlink_socket.hpp"
#include "injector/network_namespace.hpp"
#include "injector/sysctl.hpp"
#include "root/netns_helpers.hpp"

using namespace faultline;
using namespace faultline::injector;

namespace {
ino_t inode_of(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  return st.st_ino;
}
}  // namespace

TEST_CASE("a named namespace exists while owned and is gone after", "[root][netns]") {
  const std::string name = "fl-" + testing::unique_run_id() + "-ns";
  {
    auto ns = NetworkNamespace::create(name);
    CHECK(named_namespace_exists(name));
    CHECK(ns.fd().valid());
    auto listed = list_named_namespaces("fl-");
    CHECK(std::find(listed.begin(), listed.end(), name) != listed.end());
    // It is a different network namespace from ours.
    CHECK(inode_of(ns.fd().get()) != inode_of(NamespaceFd::of_this_thread().get()));
  }
  CHECK_FALSE(named_namespace_exists(name));
}

TEST_CASE("creating a namespace that exists fails and leaves the existing one alone",
          "[root][netns]") {
  const std::string name = "fl-" + testing::unique_run_id() + "-dup";
  auto first = NetworkNamespace::create(name);
  CHECK_THROWS_WITH(NetworkNamespace::create(name), Catch::Contains("already exists"));
  CHECK(named_namespace_exists(name));
}

TEST_CASE("entering a namespace affects only this thread and only for the scope", "[root][netns]") {
  auto ns = NetworkNamespace::create("fl-" + testing::unique_run_id() + "-enter");
  const ino_t home = inode_of(NamespaceFd::of_this_thread().get());
  // A thread started before the entry (threads started inside would inherit
  // the namespace, as clone(2) copies the creating thread's).
  std::promise<void> entered;
  std::promise<ino_t> seen;
  std::thread other([&] {
    entered.get_future().wait();
    seen.set_value(inode_of(NamespaceFd::of_this_thread().get()));
  });
  {
    NetnsEntry inside(ns.fd());
    CHECK(inode_of(NamespaceFd::of_this_thread().get()) == inode_of(ns.fd().get()));
    entered.set_value();
    CHECK(seen.get_future().get() == home);
  }
  other.join();
  CHECK(inode_of(NamespaceFd::of_this_thread().get()) == home);
}

TEST_CASE("a veth pair spans two namespaces without touching ours", "[root][netns]") {
  const std::string id = testing::unique_run_id();
  auto a = NetworkNamespace::create("fl-" + id + "-a");
  auto b = NetworkNamespace::create("fl-" + id + "-b");
  for (const auto* ns : {&a, &b}) write_sysctl(ns->fd(), "net/ipv6/conf/default/accept_dad", "0");
  auto sa = NetlinkSocket::open_in(a.fd());
  auto sb = NetlinkSocket::open_in(b.fd());
  auto here = NetlinkSocket::open_here();
  create_veth(sa, "left", "right", b.fd());
  CHECK(link_exists(sa, "left"));
  CHECK(link_exists(sb, "right"));
  CHECK_FALSE(link_exists(sa, "right"));
  CHECK_FALSE(link_exists(here, "left"));
  CHECK_FALSE(link_exists(here, "right"));
  add_address(sa, "left", "198.18.250.1/30");
  add_address(sb, "right", "198.18.250.2/30");
  add_address(sa, "left", "2001:2:0:fa::1/64");
  add_address(sb, "right", "2001:2:0:fa::2/64");
  set_link_up(sa, "left");
  set_link_up(sb, "right");
  REQUIRE(wait_operational(sa, "left", std::chrono::seconds(5)));
  REQUIRE(wait_operational(sb, "right", std::chrono::seconds(5)));
  auto server = testing::bound_socket(b.fd(), "198.18.250.2", 7000, SOCK_STREAM);
  CHECK(testing::can_connect(a.fd(), "198.18.250.2", 7000));
  auto server6 = testing::bound_socket(b.fd(), "2001:2:0:fa::2", 7001, SOCK_STREAM);
  CHECK(testing::can_connect(a.fd(), "2001:2:0:fa::2", 7001));
  CHECK_THROWS_WITH(create_veth(sa, "a-name-longer-than-15", "x", b.fd()),
                    Catch::Contains("IFNAMSIZ"));
  // What an agent's inventory reports: each link but loopback, its addresses as CIDR.
  const auto links = list_link_addresses(sa);
  REQUIRE(links.size() == 1);
  CHECK(links[0].name == "left");
  CHECK(std::count(links[0].addresses.begin(), links[0].addresses.end(), "198.18.250.1/30") == 1);
  CHECK(std::count(links[0].addresses.begin(), links[0].addresses.end(), "2001:2:0:fa::1/64") == 1);
}

// What faultline-netinit --address does in a swarm task: the fixed address
// goes on the link that holds swarm's address in the same network.
TEST_CASE("link_in_network finds the link holding an address of a network", "[root][netns]") {
  auto ns = NetworkNamespace::create("fl-" + testing::unique_run_id() + "-innet");
  auto sock = NetlinkSocket::open_in(ns.fd());
  create_bridge(sock, "lan0");
  create_bridge(sock, "wan0");
  add_address(sock, "lan0", "198.18.1.130/24");
  add_address(sock, "wan0", "198.19.0.129/24");
  CHECK(link_in_network(sock, "198.18.1.10/24") == std::optional<std::string>("lan0"));
  CHECK(link_in_network(sock, "198.19.0.1/24") == std::optional<std::string>("wan0"));
  CHECK(link_in_network(sock, "198.18.0.0/15") == std::optional<std::string>("lan0"));
  CHECK_FALSE(link_in_network(sock, "198.18.2.10/24"));
  CHECK_FALSE(link_in_network(sock, "198.18.1.10/25"));  // .130 lies outside 198.18.1.0/25
}
