/* cnb_image_sbom_download: the launch SBOM layer of an app image, alone, applied into a directory.
 * Where it is: io.buildpacks.lifecycle.metadata's sbom.sha is the layer's diffID (buildpacks/spec
 * platform.md, "Outputs"; buildpacks/lifecycle exporter writes /layers/sbom/launch into it). */
#include "layer-apply.h"
#include "oci/image.h"
#include "lib/api/ctx-internal.h"
#include "lib/common/cleanup.h"
#include "lib/common/error-internal.h"
#include "lib/common/fs.h"

#include <cnb/image.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <unistd.h>

#define LABEL_MAX (4u << 20)
#define LABEL "io.buildpacks.lifecycle.metadata"

/* The index of the SBOM layer, or a negative error. */
static int sbom_layer(const cnb__oci_image *img, const char *location, size_t *out, cnb_error **err)
{
	json_t *labels = json_object_get(json_object_get(img->config, "config"), "Labels");
	const char *text = json_string_value(json_object_get(labels, LABEL));
	if (!text)
		return cnb__error_set(err, CNB_ENOTFOUND, "%s was not built by buildpacks (no " LABEL " label)", location);
	if (strlen(text) > LABEL_MAX)
		return cnb__error_set(err, CNB_EUNSAFE, "%s: " LABEL " over %u bytes", location, LABEL_MAX);
	json_t *md = json_loads(text, 0, NULL);
	const char *sha = json_string_value(json_object_get(json_object_get(md, "sbom"), "sha"));
	int rc = md ? CNB_ENOTFOUND : cnb__error_set(err, CNB_EPARSE, "%s: " LABEL " is not JSON", location);
	for (size_t i = 0; sha && i < img->n_layers && rc == CNB_ENOTFOUND; i++)
		if (img->layers[i].diff_id && !strcmp(img->layers[i].diff_id, sha)) {
			*out = i;
			rc = 0;
		}
	if (rc == CNB_ENOTFOUND)
		rc = sha ? cnb__error_set(err, CNB_EPARSE, "%s: the SBOM layer %s is not among its layers", location, sha)
			 : cnb__error_set(err, CNB_ENOTFOUND, "%s has no launch SBOM (its buildpacks wrote none)", location);
	json_decref(md);
	return rc;
}

static int own(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return lchown(path, geteuid(), getegid()) < 0 ? -1 : 0;
}

int cnb_image_sbom_download(cnb_ctx *ctx, const char *location, const char *dest_dir, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	if (!ctx || !location || !dest_dir)
		return cnb__error_set(err, CNB_EINVAL, "cnb_image_sbom_download: ctx, location and dest_dir are required");
	_cleanup_oci_image_ cnb__oci_image *img = NULL;
	size_t i = 0;
	int rc = cnb__oci_image_pull_config(ctx, location, NULL, &img, err);
	if (rc == 0)
		rc = sbom_layer(img, location, &i, err);
	if (rc == 0)
		rc = cnb__oci_image_fetch_layer(ctx, img, i, err);
	if (rc == 0)
		rc = cnb__mkdir_p(dest_dir, 0755, err);
	if (rc < 0)
		return cnb__error_prefix(err, "launch SBOM");
	_cleanup_close_ int fd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cnb__error_errno(err, CNB_EIO, errno, "launch SBOM: open %s", dest_dir);
	const cnb__oci_layer *l = &img->layers[i];
	cnb__rootfs_layer layer = { l->path, l->media_type, l->digest, l->diff_id };
	/* Not root: the files are ours (QEMU mapped-xattr metadata keeps the image's owners aside). As root they
	 * carry the image's owners (the build user), so they are handed to us, as pack's download would write them. */
	if (cnb__rootfs_apply_layers(ctx, fd, &layer, 1, geteuid() != 0, err) < 0)
		return cnb__error_prefix(err, "launch SBOM: layer %s", l->digest);
	_cleanup_free_ char *layers = cnb__path_join(dest_dir, "layers");
	_cleanup_free_ char *sbom = cnb__path_join(dest_dir, "layers/sbom");
	if (!layers || !sbom)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	if (geteuid() == 0 && (lchown(layers, 0, 0) < 0 || nftw(sbom, own, 16, FTW_PHYS) < 0))
		return cnb__error_errno(err, CNB_EIO, errno, "launch SBOM: chown %s", sbom);
	return 0;
}
