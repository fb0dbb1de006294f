#pragma once
// What a region keeps, by data class (multi-region-design-guide: classify data
// by the consistency it needs):
//   global     identity and routing (customer -> home region); multi-master,
//              replicated to every region, last-writer-wins;
//   customer   a customer's own data; kept only in its home region and that
//              region's failover region, which is in the same geo;
//   ephemeral  regional state such as a live call; never replicated.
//
// Storage is the region's database. PostgresStorage is the real one; the
// MemoryStorage here serves unit tests and runs without a database.
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "targets/kvstore/version.hpp"

namespace faultline::kvstore {

enum class DataClass { global, customer, ephemeral };

const char* data_class_name(DataClass c);
std::optional<DataClass> parse_data_class(std::string_view name);

struct Entry {
  std::string value;
  Version version;
};

struct Record {
  DataClass data_class = DataClass::global;
  std::string customer;  // customer data only
  std::string key;
  Entry entry;
};

// The database could not be reached or did not answer in time. The outcome of
// a write that throws this is unknown.
class StorageError : public std::runtime_error {
 public:
  // `maybe_applied` is false when the request never reached the database
  // (it could not connect), so a write certainly did not happen.
  explicit StorageError(const std::string& what, bool maybe_applied = true)
      : std::runtime_error(what), maybe_applied_(maybe_applied) {}
  bool maybe_applied() const { return maybe_applied_; }

 private:
  bool maybe_applied_;
};

class Storage {
 public:
  virtual ~Storage() = default;
  // Last-writer-wins: keeps each record whose version is higher than the
  // stored one, atomically per record. Returns how many were kept.
  virtual std::size_t merge(const std::vector<Record>& records) = 0;
  virtual std::optional<Entry> get(DataClass c, const std::string& customer,
                                   const std::string& key) = 0;
  virtual std::vector<Record> scan(DataClass c) = 0;
  // Answers a trivial query within the deadline: the deep health check.
  virtual bool ping() = 0;
};

// Whether `candidate` should replace `current` under last-writer-wins.
inline bool newer(const Version& candidate, const std::optional<Version>& current) {
  return !current || *current < candidate;
}

class MemoryStorage : public Storage {
 public:
  std::size_t merge(const std::vector<Record>& records) override;
  std::optional<Entry> get(DataClass c, const std::string& customer,
                           const std::string& key) override;
  std::vector<Record> scan(DataClass c) override;
  bool ping() override { return true; }

 private:
  std::mutex mutex_;
  std::map<std::tuple<DataClass, std::string, std::string>, Entry> entries_;
};

}  // namespace faultline::kvstore
