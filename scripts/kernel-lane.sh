#!/usr/bin/env bash
# The kernel lane: runs the tests that need sch_netem (and the root tests
# again) on Debian's stock kernel, booted under qemu with software emulation
# (TCG; no KVM needed), because the CI machine's own kernel has no netem.
#
#   scripts/kernel-lane.sh [BUILD_DIR]
#
# With FAULTLINE_LANE_RUN set, the guest runs that shell command instead of
# the tests (programs in FAULTLINE_LANE_PROGRAMS are added to the guest, first
# on its PATH); bench/netem_fault_bench.sh uses this.
#
# Downloads linux-image-amd64 with apt (not installed: only unpacked into
# BUILD_DIR/kernel-lane), builds an initramfs with busybox, the kernel's
# traffic-control, veth and bridge modules, and the test binaries with their
# shared libraries, boots it, and exits with the tests' status. The guest has
# no network device: all traffic stays in namespaces inside it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
lane=$build/kernel-lane
mkdir -p "$lane"

need=()
for p in qemu-system-x86 busybox-static cpio kmod; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The stock kernel, unpacked once per build directory.
if [[ ! -f $lane/kernel.ready ]]; then
  pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [[ -z $pkg ]]; then
    apt-get update -qq
    pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  rm -rf "$lane/kernel" && mkdir -p "$lane/kernel"
  (cd "$lane" && rm -f ./*.deb && apt-get download "$pkg" >/dev/null 2>&1)
  dpkg-deb -x "$lane"/"$pkg"_*.deb "$lane/kernel"
  rm -f "$lane"/*.deb
  touch "$lane/kernel.ready"
fi
kver=$(ls "$lane/kernel/lib/modules")
vmlinuz=$lane/kernel/boot/vmlinuz-$kver
/usr/sbin/depmod -b "$lane/kernel" "$kver"

# The initramfs.
ird=$lane/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,sbin,proc,sys,dev,run,tmp,etc,opt/faultline/bin,opt/faultline/experiments,lib/modules/$kver}
ln -s /bin/busybox "$ird/sbin/modprobe"  # where the kernel looks when it loads a module on demand
cp /bin/busybox "$ird/bin/"
mods=$lane/kernel/lib/modules/$kver
for d in kernel/net/sched kernel/net/bridge kernel/net/802 kernel/net/llc kernel/drivers/net/veth.ko \
         kernel/net/netfilter kernel/net/ipv4/netfilter kernel/net/ipv6/netfilter kernel/lib kernel/crypto; do
  mkdir -p "$ird/lib/modules/$kver/$(dirname $d)"
  cp -r "$mods/$d" "$ird/lib/modules/$kver/$(dirname $d)/"
done
cp "$mods"/modules.* "$ird/lib/modules/$kver/"
binaries=("$build/faultline" "$build/faultline-kv" "$build/tests/faultline_netem_tests" "$build/tests/faultline_root_tests")
# shellcheck source=lib/rootfs.sh
. "$root/scripts/lib/rootfs.sh"
for b in "${binaries[@]}"; do rootfs_add_program "$ird" "$b" opt/faultline/bin; done
for b in ${FAULTLINE_LANE_PROGRAMS:-}; do rootfs_add_program "$ird" "$b" opt/faultline/bin; done
if [[ -n ${FAULTLINE_LANE_RUN:-} ]]; then
  printf 'export PATH=/opt/faultline/bin:/bin\n%s\n' "$FAULTLINE_LANE_RUN" >"$ird/opt/faultline/run.sh"
fi
# The reference store's database (wan-latency runs one per region).
cp "$build/faultline-postgres" "$ird/opt/faultline/bin/"
rootfs_add_postgres "$ird"
mkdir -p "$ird/usr/lib/x86_64-linux-gnu/tc"
cp /usr/lib/x86_64-linux-gnu/tc/*.dist "$ird/usr/lib/x86_64-linux-gnu/tc/"
cp "$root"/experiments/*.toml "$ird/opt/faultline/experiments/"
cat > "$ird/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/opt/faultline/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
mkdir -p /run/netns /dev/shm
mount -t tmpfs shm /dev/shm
mount -t tmpfs tmp /tmp
chmod 1777 /tmp /dev/shm
for m in sch_netem sch_htb sch_tbf sch_ingress cls_u32 act_gact act_mirred veth bridge \
         crc32c_generic nf_tables nft_compat xt_NFQUEUE nfnetlink_queue; do modprobe $m || echo "lane: cannot load $m"; done
echo "lane: modules: $(lsmod | awk 'NR > 1 {print $1}' | sort | tr '\n' ' ')"
echo "lane: kernel $(uname -r)"
cd /opt/faultline
faultline doctor
export FAULTLINE_BIN_DIR=/opt/faultline/bin FAULTLINE_EXPERIMENTS=/opt/faultline/experiments FAULTLINE_EMULATED=1
status=0
if [ -f /opt/faultline/run.sh ]; then
  sh /opt/faultline/run.sh || status=1
else
  faultline_netem_tests --reporter compact --durations yes || status=1
  faultline_root_tests --reporter compact || status=1
fi
if [ "$status" -ne 0 ]; then
  for f in /tmp/*-results/*/service-*.log; do [ -f "$f" ] && { echo "lane: $f:"; tail -n 5 "$f"; }; done
fi
echo "lane: namespaces left: $(ls /run/netns | wc -l)"
[ "$(ls /run/netns | wc -l)" -eq 0 ] || status=1
echo "FAULTLINE-LANE-STATUS=$status"
poweroff -f
INIT
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$lane/initramfs.cpio.gz"
echo "kernel lane: booting $kver under qemu (TCG), initramfs $(du -h "$lane/initramfs.cpio.gz" | cut -f1)"

# idle=poll keeps the emulated CPUs from halting between timer interrupts:
# with halting, netem's release timers fire a millisecond or two late under TCG.
console=$lane/console.log
timeout 1500 qemu-system-x86_64 -accel tcg -smp 2 -m 2048 -nic none -no-reboot -nographic \
  -kernel "$vmlinuz" -initrd "$lane/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet panic=-1 rdinit=/init ${FAULTLINE_LANE_CMDLINE:-idle=poll}" </dev/null 2>&1 | stdbuf -oL tr -d '\r' | tee "$console" |
  grep -v -e '^\x1b' -e 'SeaBIOS' -e 'iPXE' -e 'Booting from ROM' || true
status=$(grep -o 'FAULTLINE-LANE-STATUS=[0-9]*' "$console" | cut -d= -f2 || true)
if [[ -z $status ]]; then
  echo "kernel lane: the guest did not report a status (see $console)" >&2
  exit 1
fi
exit "$status"
