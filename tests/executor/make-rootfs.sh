#!/bin/sh
# Builds the test rootfs for the VM e2e tests: busybox (hardlinks, since a host symlink cannot be
# read through 9p mapped-xattr), bash-static, and files that exercise ownership and modes:
#   /secret            root:root 0640          (uid 1000 must not read it)
#   /bin/su-test       root:root 04755         (setuid bit must show)
#   /home/app/mine     1000:1000 0600          (host ownership, no xattrs)
#   /mapped-owned      root:root 0644 on the host, user.virtfs.* says 1000:1000 0600 (VM only)
#   /bin/mapped-link   regular file "busybox" whose user.virtfs.mode says symlink (VM only)
set -eu
root=$1
mkdir -p "$root/bin" "$root/etc" "$root/home/app" "$root/tmp"
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for a in sh id stat cat echo sleep hostname ls touch readlink true false; do
	ln "$root/bin/busybox" "$root/bin/$a"
done
cp /bin/bash-static "$root/bin/bash"
echo secret >"$root/secret"
chmod 0640 "$root/secret"
: >"$root/bin/su-test"
chmod 04755 "$root/bin/su-test"
echo mine >"$root/home/app/mine"
chmod 0600 "$root/home/app/mine"
chown -R 1000:1000 "$root/home/app"
echo mapped >"$root/mapped-owned"
chmod 0644 "$root/mapped-owned"
# little-endian 32-bit values, as QEMU reads them
setfattr -n user.virtfs.uid -v 0xe8030000 "$root/mapped-owned"
setfattr -n user.virtfs.gid -v 0xe8030000 "$root/mapped-owned"
setfattr -n user.virtfs.mode -v 0x80810000 "$root/mapped-owned" # S_IFREG|0600
printf busybox >"$root/bin/mapped-link"
setfattr -n user.virtfs.mode -v 0xffa10000 "$root/bin/mapped-link" # S_IFLNK|0777
