/* OCI image spec, "Layer ChainID": ChainID(L0) = DiffID(L0),
 * ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). Names a stack of layers. */
#ifndef CNB_ROOTFS_CHAIN_ID_H
#define CNB_ROOTFS_CHAIN_ID_H

#include <stddef.h>
#include <cnb/error.h>
#include "layer-apply.h"

#define CNB_CHAIN_ID_SIZE 72 /* "sha256:" + 64 hex + NUL */

/* Every layer needs a valid sha256 diff_id (CNB_EINVAL naming the layer otherwise). */
int cnb__rootfs_chain_id(const cnb__rootfs_layer *layers, size_t n, char out[CNB_CHAIN_ID_SIZE], cnb_error **err);

#endif
