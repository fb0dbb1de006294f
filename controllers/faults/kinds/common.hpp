#pragma once
// What several fault kinds take alike: the keys that place a fault (region,
// service, link, ports), how they are read, and the plan steps and one-line
// descriptions that kinds of one family share. A kind's own file says which
// of these it takes; reading them here keeps their messages the same for
// every kind.
#include <optional>
#include <string>
#include <vector>

#include "controllers/faults/fault_kind.hpp"

namespace faultline::fault_kinds {

// Keys, as their tables describe them.
KeySpec region_key(std::string description);
KeySpec service_key(std::string description, bool required);
KeySpec mode_key();
KeySpec direction_key(std::string one_way);
KeySpec between_key();
std::vector<KeySpec> port_keys(std::string what);  // port, ports, protocol
KeySpec percent_key(std::string description);
KeySpec correlation_key(std::string description);
// delay, jitter, correlation (unless left out), distribution: netem's delay
// as read_delay reads it.
std::vector<KeySpec> delay_keys(std::string delay_description, bool correlation = true);
// `scope` followed by `rest`, for key tables built from shared parts.
std::vector<KeySpec> keys_of(std::vector<KeySpec> scope, const std::vector<KeySpec>& rest);

// Readers. Each reads its key only when the table has it, reporting what is
// wrong with it; `region` and a required `service` must be there.
void read_region(const FaultTable& in, FaultSpec& f);
void read_service(const FaultTable& in, FaultSpec& f, bool required);
void read_mode(const FaultTable& in, FaultSpec& f);
void read_direction(const FaultTable& in, FaultSpec& f);
void read_ports(const FaultTable& in, FaultSpec& f);  // port or ports, and protocol
// between, and that a one-way fault says which way.
void read_link(const FaultTable& in, FaultSpec& f);
// `percent`, which the fault needs: "a loss fault needs 'percent'".
std::optional<double> read_percent(const FaultTable& in, const FaultSpec& f);
// Whether `name` is a region of the experiment; if not, says so at `at`.
bool check_region(const FaultTable& in, const toml::node& at, const std::string& name);

// Plans. A cut between groups of regions (partition, isolate): routes, or
// drop rules when narrowed to ports.
std::vector<PlanStep> plan_cut(const FaultPlanning& at, const FaultSpec& f);
bool cut_needs_nftables(const FaultSpec& f);
// The traffic-control classes a fault adds, as steps.
std::vector<PlanStep> shape_steps(std::vector<ShapingChange> changes);

// Descriptions: "delay us-east-1 <-> eu-west-1 port 5432", "kill eu-west-1/app".
std::string describe_ports(const PortRange& ports);
std::string describe_on_link(const FaultSpec& f);
std::string describe_in_region(const FaultSpec& f);

}  // namespace faultline::fault_kinds
