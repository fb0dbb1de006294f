#!/usr/bin/env bash
# Prints the state of the root network namespace that faultline promises never
# to change: links, addresses, routes, rules, qdiscs and firewall rulesets.
# Counters and address lifetimes are left out, since they change by themselves.
set -uo pipefail
echo "## links";     ip -d -o link show | sed -E 's/ (promiscuity|minmtu|maxmtu|numtxqueues|numrxqueues|gso_max_size|gso_max_segs|tso_max_size|tso_max_segs|gro_max_size) [0-9]+//g'
echo "## addresses"; ip -o addr show | sed -E 's/\\? *(valid_lft|preferred_lft) [^ ]+//g'
echo "## routes v4"; ip -4 route show table all
echo "## routes v6"; ip -6 route show table all | grep -v '^ *$' | sed -E 's/ expires [0-9]+sec//'
echo "## rules";     ip -4 rule; ip -6 rule
echo "## qdiscs";    tc qdisc show
echo "## filters";   for dev in $(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do tc filter show dev "$dev" 2>/dev/null; done
if command -v nft >/dev/null; then echo "## nftables"; nft list ruleset 2>/dev/null; fi
if command -v iptables-save >/dev/null; then echo "## iptables"; iptables-save 2>/dev/null | grep -v '^#'; fi
echo "## namespaces"; ls /run/netns 2>/dev/null | grep '^fl-' || true
