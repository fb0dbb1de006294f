#include <catch2/catch.hpp>

#include "targets/kvstore/store.hpp"

using namespace faultline::kvstore;

TEST_CASE("last writer wins by timestamp then by region", "[kvstore]") {
  Store store;
  CHECK(store.merge("k", {"a", {10, "us"}}));
  CHECK_FALSE(store.merge("k", {"old", {9, "zz"}}));
  CHECK(store.get("k")->value == "a");
  CHECK(store.merge("k", {"tie", {10, "z"}}));  // same time: higher region name wins
  CHECK(store.get("k")->value == "tie");
  CHECK_FALSE(store.merge("k", {"same", {10, "z"}}));  // identical version: idempotent
  CHECK_FALSE(store.get("missing").has_value());
}

TEST_CASE("the hybrid clock never goes backwards whatever the wall clock does", "[kvstore]") {
  HybridClock clock;
  CHECK(clock.tick(100) == 100);
  CHECK(clock.tick(50) == 101);  // wall clock stepped back
  clock.observe(500);            // a peer is ahead
  CHECK(clock.tick(200) == 501);
  CHECK(clock.tick(1000) == 1000);
}
