#include "injector/route_block.hpp"

namespace faultline::injector {

RouteBlockGuard RouteBlockGuard::apply(std::vector<Entry> entries) {
  std::vector<Entry> added;
  added.reserve(entries.size());
  try {
    for (auto& entry : entries) {
      add_route(*entry.sock, entry.route);
      added.push_back(entry);
    }
  } catch (...) {
    RouteBlockGuard rollback(std::move(added));
    rollback.revert();
    throw;
  }
  return RouteBlockGuard(std::move(added));
}

RouteBlockGuard& RouteBlockGuard::operator=(RouteBlockGuard&& other) noexcept {
  if (this != &other) {
    revert();
    entries_ = std::move(other.entries_);
    other.entries_.clear();  // a moved-from vector is only "valid but unspecified"
  }
  return *this;
}

std::vector<std::string> RouteBlockGuard::revert() noexcept {
  std::vector<std::string> problems;
  // Reverse order: the last route added is the first removed.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    try {
      delete_route(*it->sock, it->route);
    } catch (const std::exception& e) {
      problems.push_back(it->where + ": " + e.what());
    }
  }
  entries_.clear();
  return problems;
}

}  // namespace faultline::injector
