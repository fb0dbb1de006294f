// faultline-agent: applies and reverts fault plans in the network
// namespaces of this node's containers for an authenticated controller, and
// reverts everything a controller applied once it falls silent for longer
// than its lease. See docs/architecture.md, "The agent".
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <iostream>

#include "common/version.hpp"
#include "controllers/agent/agent_server.hpp"
#include "controllers/agent/node_backend.hpp"

namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int) { stop_requested = true; }

std::string host_name() {
  char name[256] = {0};
  ::gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace faultline::agent;
  CLI::App app{
      "faultline-agent: applies faultline's fault plans on this node for an authenticated "
      "controller"};
  std::string listen, ca, cert, key, docker = "unix:///var/run/docker.sock", node = host_name();
  NodeOptions options;
  bool any_address = false;
  bool undo_left_behind = false;
  app.add_option("--listen", listen,
                 "ADDRESS:PORT to listen on: the node's address the controller reaches")
      ->required();
  app.add_option("--ca", ca, "the CA certificate controllers' certificates must chain to")
      ->required();
  app.add_option("--cert", cert, "this agent's certificate (faultline certs DIR --agent NODE)")
      ->required();
  app.add_option("--key", key, "this agent's private key")->required();
  app.add_option("--docker", docker, "the local dockerd's API (unix://PATH), or \"none\"")
      ->capture_default_str();
  app.add_option("--node", node, "the node's name in answers and logs")->capture_default_str();
  app.add_option("--state", options.state_dir, "where the agent notes what it touched, for sweep")
      ->capture_default_str();
  app.add_option("--netns-prefix", options.netns_prefix,
                 "act only in named namespaces (/run/netns) with this prefix (default: any)");
  app.add_flag("--any-address", any_address, "allow a wildcard --listen (0.0.0.0 or [::])");
  app.add_flag("--undo-left-behind", undo_left_behind,
               "at start, undo what an earlier agent on this node (killed mid-fault) noted in --state");
  app.set_version_flag("--version", std::string("faultline-agent ") + faultline::version());
  CLI11_PARSE(app, argc, argv);

  spdlog::set_default_logger(spdlog::stderr_color_mt("faultline-agent"));
  spdlog::set_pattern("[%Y-%m-%d %H:%M:%S.%e] [agent " + node + "] [%l] %v");
  try {
    const auto [address, port] = split_address_port(listen);
    if ((address == "0.0.0.0" || address == "::") && !any_address) {
      std::cerr << "faultline-agent: --listen " << listen
                << " listens on every interface; give the node's address the cluster reaches "
                   "(or add --any-address)\n";
      return 2;
    }
    options.docker_socket = docker == "none" ? "" : docker_socket_path(docker);
    TlsContext tls = TlsContext::for_agent(ca, cert, key);
    TcpListener listener = TcpListener::bind(listen);
    DockerNodeBackend backend(options);
    // An agent killed mid-fault held leases that died with it.
    if (undo_left_behind)
      for (const auto& line : backend.sweep_left_behind())
        spdlog::warn("left by an earlier agent on this node, removed: {}", line);
    AgentCore core(backend, node);
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    spdlog::info("listening on {} (TLS 1.3, controllers of CA {}), state {}", listen, ca,
                 options.state_dir);
    {
      AgentServer server(core, std::move(tls), std::move(listener));
      server.run(stop_requested);
    }
    spdlog::info("stopping: reverting what live runs applied");
  } catch (const std::exception& e) {
    std::cerr << "faultline-agent: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
