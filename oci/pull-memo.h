/* What a registry pull resolved, remembered in the store so a later pull can go without the registry
 * (pull policies if-not-present and never): <cache>/refs/<sha256 of "REF PLATFORM">, a small JSON file
 * naming the manifest, its media type and the index it was chosen from; the manifest and config bytes
 * are blobs of the store. The memo is only a hint: its blobs are read back verified by digest. */
#ifndef CNB_OCI_PULL_MEMO_H
#define CNB_OCI_PULL_MEMO_H

#include "image.h"
#include "platform.h"
#include "reference.h"
#include "lib/common/strv.h"

#include <stdbool.h>
#include <stdint.h>

/* Records `img` (just pulled from the registry as `ref` for `want`). Failures are ignored: a memo is
 * an optimisation; the caller logs nothing. */
void cnb__oci_pull_memo_put(const char *root, const cnb__oci_ref *ref, const cnb__oci_platform *want,
			    const cnb__oci_image *img);

/* The image `ref` resolved to for `want` when last pulled, rebuilt from the store (layers by
 * descriptor, source set). CNB_ENOTFOUND (naming what is missing) when there is no memo or a blob is
 * gone. */
int cnb__oci_pull_memo_get(const char *root, const cnb__oci_ref *ref, const cnb__oci_platform *want,
			   cnb__oci_image **out, cnb_error **err);

/*
 * `cnb cache prune`'s rule for the records: removes those not used (written by a pull, or read by
 * one) for `older_than` seconds, every one with `all`, and those whose manifest or config blob is
 * gone from the store. The manifest and config of each record that stays are added to `keep`, so
 * that the store's collection leaves them. Counts what it removed in *removed. A record that cannot
 * be examined stays; only out of memory fails (CNB_ENOMEM).
 */
int cnb__oci_pull_memo_prune(const char *root, bool all, int64_t older_than, cnb__strv_list *keep, size_t *removed,
			     cnb_error **err);

#endif
