/* Where an image lives, in skopeo's transport syntax: "docker://REF", "oci:DIR[:TAG]" or a bare REF. */
#ifndef CNB_OCI_LOCATION_H
#define CNB_OCI_LOCATION_H

#include "reference.h"

typedef enum cnb__oci_loc_kind {
	CNB__OCI_LOC_REGISTRY,
	CNB__OCI_LOC_LAYOUT,
} cnb__oci_loc_kind;

typedef struct cnb__oci_loc {
	cnb__oci_loc_kind kind;
	cnb__oci_ref ref; /* REGISTRY */
	char *dir;        /* LAYOUT: the layout directory */
	char *tag;        /* LAYOUT: org.opencontainers.image.ref.name, or NULL (the only image in it) */
} cnb__oci_loc;

/* Whether `name` may be an OCI layout's org.opencontainers.image.ref.name (image-layout.md). */
bool cnb__oci_layout_ref_valid(const char *name);

/* Parses `s`; a DIR may not contain ':' (as in skopeo, the first ':' ends it). A layout TAG must
 * pass cnb__oci_layout_ref_valid (CNB_EINVAL otherwise). */
int cnb__oci_loc_parse(cnb__oci_loc *out, const char *s, cnb_error **err);
void cnb__oci_loc_clear(cnb__oci_loc *loc);
static inline void cnb__oci_loc_clearp(cnb__oci_loc *loc) { cnb__oci_loc_clear(loc); }
#define _cleanup_oci_loc_ __attribute__((cleanup(cnb__oci_loc_clearp)))

/* "docker://registry/repo:tag" or "oci:dir:tag" for messages (malloc'd, NULL on OOM). */
char *cnb__oci_loc_string(const cnb__oci_loc *loc);

#endif
