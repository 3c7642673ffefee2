/* Image references with docker's normalization: "alpine" is "docker.io/library/alpine:latest". */
#ifndef CNB_OCI_REFERENCE_H
#define CNB_OCI_REFERENCE_H

#include <cnb/error.h>
#include <stdbool.h>

typedef struct cnb__oci_ref {
	char *registry;   /* "docker.io", "127.0.0.1:5000", "ghcr.io" */
	char *repository; /* "library/alpine" */
	char *tag;        /* "latest" when neither tag nor digest was given; NULL for a bare "name@digest" */
	char *digest;     /* "sha256:<hex>" or NULL */
} cnb__oci_ref;

#define CNB_OCI_REF_INIT { NULL, NULL, NULL, NULL }

/* Parses and normalizes `s`. On error (CNB_EPARSE, naming what is wrong) *out is left cleared. */
int cnb__oci_ref_parse(cnb__oci_ref *out, const char *s, cnb_error **err);

void cnb__oci_ref_clear(cnb__oci_ref *ref);
static inline void cnb__oci_ref_clearp(cnb__oci_ref *ref) { cnb__oci_ref_clear(ref); }
#define _cleanup_oci_ref_ __attribute__((cleanup(cnb__oci_ref_clearp)))

/* A tag as the distribution spec allows it: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. */
bool cnb__oci_tag_valid(const char *tag);

/* "registry/repository[:tag][@digest]" (malloc'd, NULL on OOM). */
char *cnb__oci_ref_string(const cnb__oci_ref *ref);

/* The tag or digest to ask the registry for: the digest when present (it pins), else the tag. */
const char *cnb__oci_ref_selector(const cnb__oci_ref *ref);

/* Host to talk HTTP to: docker.io's API lives on registry-1.docker.io. Static or borrowed. */
const char *cnb__oci_ref_api_host(const char *registry);

#endif
