#pragma once
// A partition as the kernel sees it: a set of blackhole/prohibit routes, each
// in some router's namespace, installed and removed as one unit.
#include <memory>
#include <string>
#include <vector>

#include "injector/netlink_socket.hpp"
#include "injector/routes.hpp"

namespace faultline::injector {

class RouteBlockGuard {
 public:
  struct Entry {
    std::shared_ptr<NetlinkSocket> sock;  // socket of the namespace the route goes in
    std::string where;                    // that namespace's name, for messages
    Route route;
  };

  // Installs every route or none: if one fails, those already added are
  // removed before the error propagates.
  static RouteBlockGuard apply(std::vector<Entry> entries);

  RouteBlockGuard(RouteBlockGuard&&) noexcept = default;
  // Reverts the routes this guard holds before taking the other's: a live
  // partition never loses its owner (a defaulted assignment would drop the
  // entries and leave the routes in the kernel). Problems of that revert go
  // unreported, as in the destructor; call revert() first to see them.
  RouteBlockGuard& operator=(RouteBlockGuard&& other) noexcept;
  RouteBlockGuard(const RouteBlockGuard&) = delete;
  RouteBlockGuard& operator=(const RouteBlockGuard&) = delete;
  ~RouteBlockGuard() { revert(); }

  // Removes the routes; a second call does nothing. Returns a message per route
  // that could not be removed (empty when all went, or were already gone).
  std::vector<std::string> revert() noexcept;
  bool active() const { return !entries_.empty(); }

 private:
  explicit RouteBlockGuard(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  std::vector<Entry> entries_;
};

}  // namespace faultline::injector
