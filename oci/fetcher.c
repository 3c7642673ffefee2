/* Registry clients cost a /v2/ ping and a token each: open one per registry, share it among threads. */
#include "fetcher.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cnb__oci_fetcher_init(cnb__oci_fetcher *f, cnb_ctx *ctx)
{
	memset(f, 0, sizeof(*f));
	f->ctx = ctx;
	pthread_mutex_init(&f->lock, NULL);
}

void cnb__oci_fetcher_clear(cnb__oci_fetcher *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		cnb__oci_registry_free(f->regs[i]);
	}
	pthread_mutex_destroy(&f->lock);
	memset(f, 0, sizeof(*f));
}

void cnb__oci_fetcher_adopt(cnb__oci_fetcher *f, cnb__oci_registry *reg)
{
	char *name = strdup(cnb__oci_registry_name(reg));
	pthread_mutex_lock(&f->lock);
	if (name && f->n < CNB_OCI_FETCHER_MAX) {
		f->names[f->n] = name;
		f->regs[f->n++] = reg;
		name = NULL;
		reg = NULL;
	}
	pthread_mutex_unlock(&f->lock);
	free(name);
	cnb__oci_registry_free(reg);
}

int cnb__oci_fetcher_registry(cnb__oci_fetcher *f, const char *registry, cnb__oci_registry **out, cnb_error **err)
{
	pthread_mutex_lock(&f->lock);
	int rc = 0;
	*out = NULL;
	for (size_t i = 0; i < f->n && !*out; i++)
		if (!strcmp(f->names[i], registry))
			*out = f->regs[i];
	if (!*out) {
		if (f->n == CNB_OCI_FETCHER_MAX) {
			rc = cnb__error_set(err, CNB_EUNSUPPORTED, "layers from more than %d registries in one image", CNB_OCI_FETCHER_MAX);
		} else if ((rc = cnb__oci_registry_open(out, f->ctx, registry, err)) == 0) {
			if (!(f->names[f->n] = strdup(registry))) {
				cnb__oci_registry_free(*out);
				*out = NULL;
				rc = cnb__error_set(err, CNB_ENOMEM, "out of memory");
			} else {
				f->regs[f->n++] = *out;
			}
		}
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int cnb__oci_source_split(const char *source, char **registry, const char **repo, cnb_error **err)
{
	const char *slash = source ? strchr(source, '/') : NULL;
	if (!slash)
		return cnb__error_set(err, CNB_EINVAL, "layer source \"%s\" is not registry/repository", source ? source : "");
	if (!(*registry = strndup(source, (size_t)(slash - source))))
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	*repo = slash + 1;
	return 0;
}

int cnb__oci_fetcher_fetch(cnb__oci_fetcher *f, const cnb__oci_layer *l, const char *root, cnb_error **err)
{
	if (!l->source)
		return cnb__error_set(err, CNB_ENOTFOUND, "layer %s has neither a local blob nor a source to fetch it from",
				      l->digest);
	_cleanup_free_ char *registry = NULL;
	const char *repo = NULL;
	cnb__oci_registry *reg = NULL;
	if (cnb__oci_source_split(l->source, &registry, &repo, err) < 0 ||
	    cnb__oci_fetcher_registry(f, registry, &reg, err) < 0)
		return cnb__error_code(err, CNB_EREGISTRY);
	char label[40];
	snprintf(label, sizeof(label), "%.19s", l->digest);
	return cnb__oci_registry_fetch_blob(reg, repo, l->digest, l->size, root, label, err);
}
