#include "controllers/workload/final_state_reader.hpp"

#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "controllers/history/operation_kinds.hpp"

namespace faultline {

namespace {

// What a region answered for a key it could not read: never a real value,
// so a region that did not answer never agrees.
const nlohmann::json kNoAnswer = "<no answer>";

}  // namespace

FinalReadResult FinalStateReader::read(const std::vector<RegionKeys>& regions,
                                       Clock::time_point deadline,
                                       const std::function<void()>& before_round) {
  const auto started = clock_.now();
  for (int round = 1;; ++round) {
    if (before_round) before_round();
    // Regions in parallel, each from its own client host.
    std::vector<std::map<std::string, nlohmann::json>> seen(regions.size());
    std::exception_ptr failure;
    std::mutex failure_mutex;
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < regions.size(); ++i)
      readers.emplace_back([&, i] {
        try {
          const RegionKeys& region = regions[i];
          if (region.client_netns != nullptr) injector::enter_namespace(*region.client_netns);
          auto client = clients_.open(region.region);
          for (const auto& key : region.keys) {
            Operation invoke{.type = OpType::invoke,
                             .process = final_reader_process(i),
                             .f = kFinalReadF,
                             .value = nlohmann::json::array({key, nullptr}),
                             .region = region.region};
            history_.record(invoke);
            const Operation done = history_.record(client->invoke(invoke));
            seen[i][key] = done.type == OpType::ok ? done.value[1] : kNoAnswer;
          }
        } catch (...) {
          std::lock_guard lock(failure_mutex);
          if (!failure) failure = std::current_exception();
        }
      });
    for (auto& t : readers) t.join();
    if (failure) std::rethrow_exception(failure);

    bool agree = true;
    std::map<std::string, nlohmann::json> first;
    for (const auto& region_seen : seen)
      for (const auto& [key, value] : region_seen) {
        auto [it, fresh] = first.emplace(key, value);
        if (value == kNoAnswer || (!fresh && it->second != value)) agree = false;
      }
    if (agree) return {true, round, clock_.now() - started};
    if (clock_.now() > deadline) return {false, round, clock_.now() - started};
    clock_.sleep_for(pause_);
  }
}

}  // namespace faultline
