/* Fetching layer blobs by their `source` ("registry/repository"), sharing one client per registry
 * across the threads of a pull or push. */
#ifndef CNB_OCI_FETCHER_H
#define CNB_OCI_FETCHER_H

#include "image.h"
#include "registry.h"

#include <pthread.h>

#define CNB_OCI_FETCHER_MAX 4

typedef struct cnb__oci_fetcher {
	cnb_ctx *ctx;
	pthread_mutex_t lock;
	char *names[CNB_OCI_FETCHER_MAX];
	cnb__oci_registry *regs[CNB_OCI_FETCHER_MAX];
	size_t n;
} cnb__oci_fetcher;

void cnb__oci_fetcher_init(cnb__oci_fetcher *f, cnb_ctx *ctx);
void cnb__oci_fetcher_clear(cnb__oci_fetcher *f);

/* Adopts an open client (freed by the fetcher). */
void cnb__oci_fetcher_adopt(cnb__oci_fetcher *f, cnb__oci_registry *reg);

/* The client for `registry`, opened on first use. Thread-safe. */
int cnb__oci_fetcher_registry(cnb__oci_fetcher *f, const char *registry, cnb__oci_registry **out, cnb_error **err);

/* Downloads layer l's blob (verified) into the store at `root`, from l->source. */
int cnb__oci_fetcher_fetch(cnb__oci_fetcher *f, const cnb__oci_layer *l, const char *root, cnb_error **err);

/* Splits "registry/repository" at the first '/': *repo points into source; registry is malloc'd. */
int cnb__oci_source_split(const char *source, char **registry, const char **repo, cnb_error **err);

#endif
