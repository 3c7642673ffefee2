/*
 * An extension's build context (context/, context.build/, context.run/ of its generate output) as
 * tar entries, read on the host. The VM hands the generated directory back over 9p in QEMU's
 * mapped-xattr form (lib/rootfs/mapped-xattr.h): a guest symlink is a regular file holding its
 * target, the guest's mode is in user.virtfs.mode. Both forms are read here: mapped entries by
 * their xattr, plain ones (the host executor) as they are. Nothing is followed; entries are owned
 * by root with the reproducible mtime, setid bits dropped; devices and fifos are left out.
 */
#ifndef CNB_EXTEND_CONTEXT_H
#define CNB_EXTEND_CONTEXT_H

#include "lib/common/tar-writer.h"

#define CNB_EXTEND_CONTEXT_MAX_DEPTH 64

/* Adds `dirfd`/`name` (a directory) and everything below it as `dest`/... */
int cnb__extend_context_tar(cnb__tar *t, int dirfd, const char *name, const char *dest, cnb_error **err);

#endif
