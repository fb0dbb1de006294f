# Functions that fill a root file system from this machine's files, for the
# kernel lane's initramfs and the compose stack's image. Source it.

# rootfs_add_program ROOT FILE DIR: FILE (stripped) into ROOT/DIR, with the
# shared libraries it loads at their usual paths.
rootfs_add_program() {
  local root=$1 file=$2 dir=$3
  mkdir -p "$root/$dir"
  if cmp -s -n 4 "$file" <(printf '\177ELF'); then
    strip --strip-debug -o "$root/$dir/$(basename "$file")" "$file"
    rootfs_add_libraries "$root" "$file"
  else
    cp "$file" "$root/$dir/"
  fi
}

rootfs_add_libraries() {
  local root=$1 lib
  shift
  for lib in $(ldd "$@" 2>/dev/null | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u); do
    mkdir -p "$root$(dirname "$lib")"
    cp -nL "$lib" "$root$lib"
  done
}

# rootfs_add_postgres ROOT: the PostgreSQL server (initdb, postgres, their
# modules and shared files; no JIT), time zone data, and users root and nobody.
rootfs_add_postgres() {
  local root=$1 pgbin pgver
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  pgver=$(basename "$(dirname "$pgbin")")
  mkdir -p "$root/usr/lib/postgresql/$pgver/bin" "$root/usr/share/postgresql"
  # initdb loads its modules; the JIT (and the LLVM it drags in) stays out: jit is off.
  cp -r "/usr/lib/postgresql/$pgver/lib" "$root/usr/lib/postgresql/$pgver/"
  rm -rf "$root/usr/lib/postgresql/$pgver/lib/"llvmjit* "$root/usr/lib/postgresql/$pgver/lib/bitcode"
  cp "$pgbin/initdb" "$pgbin/postgres" "$root/usr/lib/postgresql/$pgver/bin/"
  rootfs_add_libraries "$root" "$pgbin/initdb" "$pgbin/postgres" "$root/usr/lib/postgresql/$pgver"/lib/*.so
  cp -r "/usr/share/postgresql/$pgver" "$root/usr/share/postgresql/"
  mkdir -p "$root/usr/share/zoneinfo/Etc" "$root/etc"
  cp -L /usr/share/zoneinfo/UTC /usr/share/zoneinfo/GMT "$root/usr/share/zoneinfo/"
  cp -L /usr/share/zoneinfo/Etc/UTC "$root/usr/share/zoneinfo/Etc/"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
}
