/*
 * An overlayfs upper directory as an OCI layer (image-spec layer.md): what RUN steps changed. A
 * deletion (overlayfs: a 0/0 character device) becomes a `.wh.<name>` whiteout, an opaque
 * directory (trusted.overlay.opaque=y: a directory removed and made again) gets `.wh..wh..opq`;
 * entries keep their owner and mode (setuid included: the image's own tools may need it); mtimes
 * are the reproducible epoch, so the same changes give the same layer. Sockets, fifos and devices
 * are left out (a layer of ours holds none). Paths are relative ("etc/x").
 */
#ifndef CNB_EXTEND_OVERLAY_DIFF_H
#define CNB_EXTEND_OVERLAY_DIFF_H

#include <cnb/error.h>
#include <stdint.h>

/* Directory nesting the walk follows; deeper is an error (the guest made it). */
#define CNB_OVERLAY_DIFF_MAX_DEPTH 128

/* Writes the tar of `upper_fd` to `out_fd`, leaving out the top-level names in `skip` (NULL-
 * terminated, may be NULL: mount points the extender made). *entries: how many it wrote. */
int cnb__extend_overlay_diff_tar(int upper_fd, int out_fd, const char *const *skip, uint64_t *entries, cnb_error **err);

#endif
