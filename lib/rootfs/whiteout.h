/* OCI image spec, "Whiteouts": `.wh.NAME` deletes NAME of lower layers, `.wh..wh..opq` empties
 * its directory of everything lower layers put there. */
#ifndef CNB_ROOTFS_WHITEOUT_H
#define CNB_ROOTFS_WHITEOUT_H

#include <stdbool.h>
#include <cnb/error.h>
#include "tree-path.h"
#include "path-set.h"

#define CNB_WHITEOUT_PREFIX ".wh."
#define CNB_WHITEOUT_OPAQUE ".wh..wh..opq"

bool cnb__rootfs_whiteout_is(const char *leaf);

/*
 * Applies the whiteout entry at clean `path`. Entries of the current layer (`layer_entries`)
 * are spared: whiteouts only ever hide what lies below. Other `.wh..wh.*` names are aufs
 * bookkeeping and ignored.
 */
int cnb__rootfs_whiteout_apply(cnb__rootfs_tree *t, const char *path, const cnb__rootfs_path_set *layer_entries, cnb_error **err);

#endif
