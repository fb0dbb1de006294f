#pragma once
// The services of a run, by (region, name), stopped in the reverse of the
// order they started: an app goes before the database it holds connections
// to, so the database can shut down cleanly instead of waiting on clients.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "controllers/services/service.hpp"

namespace faultline {

class ServiceSet {
 public:
  ServiceSet() = default;
  ServiceSet(const ServiceSet&) = delete;
  ServiceSet& operator=(const ServiceSet&) = delete;
  ~ServiceSet() {
    for (auto it = order_.rbegin(); it != order_.rend(); ++it) (*it)->stop();
  }

  Service& add(const std::string& region, const std::string& name,
               std::unique_ptr<Service> service) {
    order_.push_back(service.get());
    return *(by_name_[{region, name}] = std::move(service));
  }
  Service& at(const std::string& region, const std::string& name) {
    return *by_name_.at({region, name});
  }

 private:
  std::map<std::pair<std::string, std::string>, std::unique_ptr<Service>> by_name_;
  std::vector<Service*> order_;
};

}  // namespace faultline
