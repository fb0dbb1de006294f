// The etcd example's templates (experiments/etcd-http-register.toml) against
// a real etcd (Debian's etcd-server) on loopback: the register's semantics
// as the checkers read them. A write then a read reads it back; a cas from
// an empty key applies once; a cas expecting the wrong value fails; an empty
// key reads null. The etcd is the test's own, on ports of its own, stopped
// by the test.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <random>
#include <thread>

#include "common/http_client.hpp"
#include "controllers/experiment/parse.hpp"
#include "controllers/history/operation_kinds.hpp"
#include "controllers/workload/http_client.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// One etcd member on 127.0.0.1, in a scratch data directory, killed and
// removed with the object.
class LoopbackEtcd {
 public:
  LoopbackEtcd() {
    std::random_device rd;
    client_port = static_cast<std::uint16_t>(20000 + rd() % 20000) & ~1u;
    dir_ =
        std::filesystem::temp_directory_path() /
        ("faultline-etcd-test-" + std::to_string(::getpid()) + "-" + std::to_string(client_port));
    std::filesystem::create_directories(dir_);
    const std::string client = "http://127.0.0.1:" + std::to_string(client_port);
    const std::string peer = "http://127.0.0.1:" + std::to_string(client_port + 1);
    const std::vector<std::string> args{"etcd",
                                        "--name",
                                        "t",
                                        "--data-dir",
                                        (dir_ / "data").string(),
                                        "--listen-client-urls",
                                        client,
                                        "--advertise-client-urls",
                                        client,
                                        "--listen-peer-urls",
                                        peer,
                                        "--initial-advertise-peer-urls",
                                        peer,
                                        "--initial-cluster",
                                        "t=" + peer};
    const std::string log = (dir_ / "etcd.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) ::dup2(fd, 1), ::dup2(fd, 2);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp("etcd", argv.data());
      ::_exit(127);
    }
    REQUIRE(pid_ > 0);
  }
  ~LoopbackEtcd() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // Until /health answers 200 (a leader, so writes go through).
  bool wait_healthy(std::chrono::milliseconds within) {
    const auto end = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < end) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;  // it exited: etcd missing (run scripts/install-deps.sh) or a port taken
      }
      http::Client probe("127.0.0.1", client_port, 500ms);
      auto outcome = probe.get("/health");
      if (outcome.response && outcome.response->status == 200) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  std::uint16_t client_port = 0;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
};

Operation op(const char* f, const std::string& key, json value) {
  return {.type = OpType::invoke,
          .process = 5,
          .f = f,
          .value = json::array({key, std::move(value)}),
          .region = "us-east-1",
          .session = 5};
}

}  // namespace

TEST_CASE("the etcd example's templates on a real etcd: a register's reads, writes and cas",
          "[workload][http][etcd]") {
  const Experiment e =
      load_experiment(std::string(FAULTLINE_SOURCE_DIR) + "/experiments/etcd-http-register.toml");
  LoopbackEtcd etcd;
  REQUIRE(etcd.wait_healthy(15s));
  HttpTemplateClient client(std::make_shared<HttpClientSpec>(e.workload.http), "127.0.0.1",
                            etcd.client_port, 2000ms, false);

  const Operation empty = client.invoke(op(kReadF, "k0", nullptr));
  CHECK(empty.type == OpType::ok);
  CHECK(empty.value == json::array({"k0", nullptr}));

  CHECK(client.invoke(op(kWriteF, "k0", 5000001)).type == OpType::ok);
  const Operation read = client.invoke(op(kFinalReadF, "k0", nullptr));
  CHECK(read.type == OpType::ok);
  CHECK(read.value == json::array({"k0", 5000001}));

  const Operation wrong = client.invoke(op(kCasF, "k0", json::array({7, 5000002})));
  CHECK(wrong.type == OpType::fail);
  CHECK_THAT(wrong.error, Catch::Contains("did not apply"));
  const Operation right = client.invoke(op(kCasF, "k0", json::array({5000001, 5000003})));
  CHECK(right.type == OpType::ok);
  CHECK(client.invoke(op(kReadF, "k0", nullptr)).value[1] == 5000003);

  // From an empty key: cas_absent's compare on the key's creation.
  CHECK(client.invoke(op(kCasF, "k1", json::array({nullptr, 5000004}))).type == OpType::ok);
  CHECK(client.invoke(op(kCasF, "k1", json::array({nullptr, 5000005}))).type == OpType::fail);
  CHECK(client.invoke(op(kCasF, "k0", json::array({nullptr, 5000006}))).type == OpType::fail);
  CHECK(client.invoke(op(kReadF, "k1", nullptr)).value[1] == 5000004);
}
