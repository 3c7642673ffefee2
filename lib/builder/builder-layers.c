/* Buildpack layers and the builder config layer. */
#include "builder-layers.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"
#include "lib/common/tar-writer.h"
#include "lib/toml/toml.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const cnb__tar_norm root_owned = { 0, 0, CNB_TAR_EPOCH };

/* Opens tar_path, runs fill(), finishes: the file is complete or an error is returned. */
static int with_tar(const char *tar_path, int (*fill)(cnb__tar *, const void *, cnb_error **), const void *arg,
		    cnb_error **err)
{
	_cleanup_close_ int fd = open(tar_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "create %s", tar_path);
	cnb__tar *t = NULL;
	int r = cnb__tar_open(&t, fd, err);
	if (r < 0)
		return r;
	if ((r = fill(t, arg, err)) < 0) {
		cnb__tar_free(t);
		return r;
	}
	return cnb__tar_finish(t, err);
}

typedef struct bp_layer_args {
	const cnb__lifecycle_bp_descriptor *bp;
	size_t *setid_stripped;
} bp_layer_args;

static int fill_bp(cnb__tar *t, const void *arg, cnb_error **err)
{
	const bp_layer_args *a = arg;
	const cnb__lifecycle_bp_descriptor *bp = a->bp;
	const cnb__tar_norm files = { 0, 0, CNB_TAR_EPOCH, a->setid_stripped };
	_cleanup_free_ char *esc = cnb__lifecycle_bp_escape_id(bp->id);
	_cleanup_free_ char *dest = NULL;
	/* Image extensions go to /cnb/extensions (platform.md "Image Extensions Directory Layout"). */
	if (!esc || asprintf(&dest, "/cnb/%s/%s/%s", bp->extension ? "extensions" : "buildpacks", esc, bp->version) < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	int r = cnb__tar_add_parents(t, dest, 0755, &root_owned, err);
	if (r == 0)
		r = cnb__tar_add_tree(t, AT_FDCWD, bp->dir, dest, &files, err);
	return r < 0 ? cnb__error_prefix(err, "%s %s@%s", cnb__lifecycle_bp_kind(bp), bp->id, bp->version) : 0;
}

int cnb__builder_write_bp_layer(const cnb__lifecycle_bp_descriptor *bp, const char *tar_path, size_t *setid_stripped,
				cnb_error **err)
{
	*setid_stripped = 0;
	bp_layer_args a = { bp, setid_stripped };
	return with_tar(tar_path, fill_bp, &a, err);
}

static cnb_toml *mirrors_array(char **mirrors)
{
	cnb_toml *arr = cnb__toml_new_array();
	for (char **m = mirrors; arr && m && *m; m++)
		if (cnb__toml_push(arr, cnb__toml_new_string(*m)) < 0) {
			cnb__toml_free(arr);
			return NULL;
		}
	return arr;
}

/* Writes `root` as TOML into out and frees it; a NULL root means an allocation failed. */
static int write_doc(cnb_toml *root, bool built, cnb__buf *out, cnb_error **err)
{
	int r = built ? cnb__toml_write(root, out, err) : cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__toml_free(root);
	return r;
}

/* The elements of one group as an array of {id, version[, optional]} tables. */
static cnb_toml *group_array(const cnb__lifecycle_order_group *g)
{
	cnb_toml *group = cnb__toml_new_array();
	bool ok = group != NULL;
	for (size_t i = 0; ok && i < g->n; i++) {
		const cnb__lifecycle_order_elem *e = &g->elems[i];
		cnb_toml *bp = cnb__toml_new_table();
		ok = bp && cnb__toml_set(bp, "id", cnb__toml_new_string(e->id)) == 0 &&
		     cnb__toml_set(bp, "version", cnb__toml_new_string(e->version)) == 0 &&
		     (!e->optional || cnb__toml_set(bp, "optional", cnb__toml_new_bool(true)) == 0) &&
		     cnb__toml_push(group, bp) == 0;
	}
	if (!ok)
		cnb__toml_free(group);
	return ok ? group : NULL;
}

/* root[key] = [{group = [...]}, ...]; false on OOM. */
static bool add_groups(cnb_toml *root, const char *key, const cnb__lifecycle_order *order)
{
	cnb_toml *groups = cnb__toml_new_array();
	bool ok = groups && cnb__toml_set(root, key, groups) == 0;
	for (size_t g = 0; ok && g < order->n; g++) {
		cnb_toml *entry = cnb__toml_new_table(), *group = group_array(&order->groups[g]);
		ok = entry && group && cnb__toml_set(entry, "group", group) == 0 && cnb__toml_push(groups, entry) == 0;
	}
	return ok;
}

int cnb__builder_order_toml(const cnb__lifecycle_order *order, const cnb__lifecycle_order *extensions, cnb__buf *out, cnb_error **err)
{
	cnb_toml *root = cnb__toml_new_table();
	bool ok = root && add_groups(root, "order", order) &&
		  (!extensions || !extensions->n || add_groups(root, "order-extensions", extensions));
	return write_doc(root, ok, out, err);
}

/* system.toml (platform.md "system.toml"): [[system.pre.buildpacks]], [[system.post.buildpacks]]. */
static int system_toml(const cnb__lifecycle_order *system, cnb__buf *out, cnb_error **err)
{
	cnb_toml *root = cnb__toml_new_table(), *sys = cnb__toml_new_table();
	bool ok = root && sys && cnb__toml_set(root, "system", sys) == 0;
	static const char *const parts[] = { "pre", "post" };
	for (size_t i = 0; ok && i < CNB_ARRAY_SIZE(parts); i++) {
		cnb_toml *part = cnb__toml_new_table(), *list = group_array(&system->groups[i]);
		ok = part && list && cnb__toml_set(part, "buildpacks", list) == 0 && cnb__toml_set(sys, parts[i], part) == 0;
	}
	return write_doc(root, ok, out, err);
}

/* run.toml (Platform >= 0.12): [[images]] image, mirrors. */
static int run_toml(const cnb__builder_config *c, cnb__buf *out, cnb_error **err)
{
	cnb_toml *root = cnb__toml_new_table(), *images = cnb__toml_new_array();
	bool ok = root && images && cnb__toml_set(root, "images", images) == 0;
	for (size_t i = 0; ok && i < c->n_run_images; i++) {
		cnb_toml *img = cnb__toml_new_table();
		ok = img && cnb__toml_set(img, "image", cnb__toml_new_string(c->run_images[i].image)) == 0 &&
		     cnb__toml_set(img, "mirrors", mirrors_array(c->run_images[i].mirrors)) == 0 &&
		     cnb__toml_push(images, img) == 0;
	}
	return write_doc(root, ok, out, err);
}

/* stack.toml (Platform < 0.12, still written by pack): [run-image] image, mirrors. */
static int stack_toml(const cnb__builder_config *c, cnb__buf *out, cnb_error **err)
{
	cnb_toml *root = cnb__toml_new_table(), *run = cnb__toml_new_table();
	bool ok = root && run && cnb__toml_set(root, "run-image", run) == 0 &&
		  cnb__toml_set(run, "image", cnb__toml_new_string(c->run_images[0].image)) == 0 &&
		  cnb__toml_set(run, "mirrors", mirrors_array(c->run_images[0].mirrors)) == 0;
	return write_doc(root, ok, out, err);
}

typedef struct config_layer_args {
	const cnb__builder_config *c;
	const cnb__lifecycle_order *order;
	const cnb__lifecycle_order *extensions; /* resolved [[order-extensions]], or one with n = 0 */
	const cnb__lifecycle_order *system; /* resolved [system], or one with n = 0 */
	uint32_t uid, gid;
} config_layer_args;

static int add_text(cnb__tar *t, const char *path, const cnb__buf *b, cnb_error **err)
{
	return cnb__tar_add_data(t, path, 0644, b->data ? b->data : "", b->len, &root_owned, err);
}

static int fill_config(cnb__tar *t, const void *arg, cnb_error **err)
{
	const config_layer_args *a = arg;
	const cnb__tar_norm user_owned = { a->uid, a->gid, CNB_TAR_EPOCH };
	_cleanup_buf_ cnb__buf order = CNB_BUF_INIT;
	_cleanup_buf_ cnb__buf run = CNB_BUF_INIT;
	_cleanup_buf_ cnb__buf stack = CNB_BUF_INIT;
	_cleanup_buf_ cnb__buf system = CNB_BUF_INIT;
	int r = cnb__builder_order_toml(a->order, a->extensions, &order, err);
	if (r == 0 && a->system->n)
		r = system_toml(a->system, &system, err);
	if (r == 0)
		r = run_toml(a->c, &run, err);
	if (r == 0)
		r = stack_toml(a->c, &stack, err);
	if (r == 0)
		r = cnb__tar_add_dir(t, "/cnb", 0755, &root_owned, err);
	if (r == 0)
		r = cnb__tar_add_dir(t, "/cnb/buildpacks", 0755, &root_owned, err);
	if (r == 0 && a->extensions->n)
		r = cnb__tar_add_dir(t, "/cnb/extensions", 0755, &root_owned, err);
	if (r == 0)
		r = cnb__tar_add_dir(t, "/cnb/build-config", 0755, &root_owned, err);
	if (r == 0)
		r = cnb__tar_add_dir(t, "/cnb/build-config/env", 0755, &root_owned, err);
	for (size_t i = 0; r == 0 && i < a->c->n_build_env; i++) {
		const cnb__builder_env *e = &a->c->build_env[i];
		_cleanup_free_ char *path = NULL, *delim = NULL;
		if (asprintf(&path, "/cnb/build-config/env/%s%s%s", e->name, e->suffix ? "." : "", e->suffix ? e->suffix : "") < 0 ||
		    asprintf(&delim, "/cnb/build-config/env/%s.delim", e->name) < 0)
			return cnb__error_set(err, CNB_ENOMEM, "out of memory");
		r = cnb__tar_add_data(t, path, 0644, e->value, strlen(e->value), &root_owned, err);
		if (r == 0 && e->delim)
			r = cnb__tar_add_data(t, delim, 0644, e->delim, strlen(e->delim), &root_owned, err);
	}
	if (r == 0)
		r = add_text(t, "/cnb/order.toml", &order, err);
	if (r == 0)
		r = add_text(t, "/cnb/run.toml", &run, err);
	if (r == 0)
		r = add_text(t, "/cnb/stack.toml", &stack, err);
	if (r == 0 && a->system->n)
		r = add_text(t, "/cnb/system.toml", &system, err);
	static const char *const user_dirs[] = { "/layers", "/platform", "/platform/env", "/workspace" };
	for (size_t i = 0; r == 0 && i < CNB_ARRAY_SIZE(user_dirs); i++)
		r = cnb__tar_add_dir(t, user_dirs[i], 0755, &user_owned, err);
	return r;
}

int cnb__builder_write_config_layer(const cnb__builder_config *c, const cnb__lifecycle_order *order,
				    const cnb__lifecycle_order *extensions, const cnb__lifecycle_order *system, uint32_t uid, uint32_t gid,
				    const char *tar_path, cnb_error **err)
{
	config_layer_args a = { c, order, extensions, system, uid, gid };
	return with_tar(tar_path, fill_config, &a, err);
}
