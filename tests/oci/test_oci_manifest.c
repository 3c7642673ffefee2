/* Unit tests of oci/manifest and oci/platform: parsing, validation, platform selection from an index. */
#include "oci/manifest.h"
#include "oci/platform.h"
#include "lib/common/cleanup.h"
#include "tests/lib/tap.h"

#include <stdlib.h>

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define DE "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"

static const char docker_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
	"\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":1469,\"digest\":\"" DA "\"},"
	"\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":3401613,\"digest\":\"" DB "\"},"
	"{\"mediaType\":\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"size\":12,\"digest\":\"" DC "\"}]}";

static const char index_json[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DA "\",\"size\":100,"
	" \"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DB "\",\"size\":100,"
	" \"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DC "\",\"size\":100,"
	" \"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DE "\",\"size\":100,"
	" \"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DD "\",\"size\":100,"
	" \"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
	" \"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}}]}";

static void test_oci_manifest__parses_docker_schema2(void)
{
	cnb__oci_manifest m;
	cnb_error *err = NULL;
	int rc = cnb__oci_manifest_parse(&m, docker_manifest, strlen(docker_manifest), NULL, &err);
	is_int(rc, 0, "parses (%s)", cnb_error_message(err));
	is_str(m.media_type, CNB_DOCKER_MT_MANIFEST, "media type");
	is_str(m.config.digest, DA, "config digest");
	is_int(m.config.size, 1469, "config size");
	is_int(m.n_layers, 2, "two layers");
	is_str(m.layers[0].digest, DB, "layer 0");
	is_int(m.layers[0].size, 3401613, "layer 0 size");
	is_str(m.layers[1].media_type, CNB_DOCKER_MT_LAYER_GZIP, "layer media type");
	cnb__oci_manifest_clear(&m);
	cnb_error_free(err);
}

static void refuse(const char *json, int code, const char *part, const char *what)
{
	cnb__oci_manifest m;
	cnb_error *err = NULL;
	int rc = cnb__oci_manifest_parse(&m, json, strlen(json), NULL, &err);
	ok(rc == code && err && strstr(cnb_error_message(err), part), "%s (%s)", what, cnb_error_message(err));
	cnb_error_free(err);
}

static void test_oci_manifest__refuses_bad_documents(void)
{
	refuse("{\"schemaVersion\":2,", CNB_EPARSE, "malformed JSON", "truncated JSON");
	refuse("[]", CNB_EPARSE, "not a JSON object", "not an object");
	refuse("{\"schemaVersion\":1,\"layers\":[]}", CNB_EUNSUPPORTED, "schema 1", "schema 1");
	refuse("{\"schemaVersion\":2,\"mediaType\":\"" CNB_OCI_MT_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"size\":1,"
	       "\"digest\":\"sha256:../../etc/passwd\"},\"layers\":[]}",
	       CNB_EPARSE, "config: digest", "path-like digest");
	refuse("{\"schemaVersion\":2,\"mediaType\":\"" CNB_OCI_MT_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"size\":-1,"
	       "\"digest\":\"" DA "\"},\"layers\":[]}",
	       CNB_EPARSE, "size", "negative size");
	refuse("{\"schemaVersion\":2,\"mediaType\":\"" CNB_OCI_MT_MANIFEST "\",\"config\":{\"mediaType\":\"x\",\"size\":1,"
	       "\"digest\":\"" DA "\"},\"layers\":[{\"size\":1,\"digest\":\"" DB "\"}]}",
	       CNB_EPARSE, "layers[0]: missing mediaType", "layer without media type");
	refuse("{\"schemaVersion\":2,\"mediaType\":\"application/x-unknown\",\"layers\":[]}", CNB_EUNSUPPORTED,
	       "application/x-unknown", "unknown media type");
	/* Over the size limit: refused before parsing. */
	size_t big = CNB_OCI_MANIFEST_MAX + 1;
	char *huge = malloc(big + 1);
	memset(huge, ' ', big);
	huge[0] = '{';
	huge[big - 1] = '}';
	huge[big] = '\0';
	cnb__oci_manifest m;
	cnb_error *err = NULL;
	is_int(cnb__oci_manifest_parse(&m, huge, big, NULL, &err), CNB_EUNSAFE, "manifest over 4 MiB refused");
	cnb_error_free(err);
	free(huge);
}

static void select_platform(const char *platform, const char *want_digest)
{
	cnb__oci_platform p;
	cnb__oci_desc d;
	cnb_error *err = NULL;
	ok(cnb__oci_platform_parse(&p, platform, NULL) == 0, "platform %s parses", platform);
	int rc = cnb__oci_index_select(&d, index_json, strlen(index_json), &p, &err);
	is_str(rc == 0 ? d.digest : NULL, want_digest, "index picks %s (%s)", platform, cnb_error_message(err));
	cnb_error_free(err);
	cnb__oci_desc_clear(&d);
}

static void test_oci_manifest__index_selects_platform(void)
{
	select_platform("linux/amd64", DA);
	select_platform("linux/x86_64", DA);
	select_platform("linux/arm64", DB);
	select_platform("linux/arm64/v8", DB);
	select_platform("linux/aarch64", DB);
	select_platform("linux/arm", DE);
	select_platform("linux/arm/v6", DC);
	cnb__oci_platform p;
	cnb__oci_desc d;
	cnb_error *err = NULL;
	cnb__oci_platform_parse(&p, "linux/s390x", NULL);
	is_int(cnb__oci_index_select(&d, index_json, strlen(index_json), &p, &err), CNB_ENOTFOUND, "missing platform");
	ok(err && strstr(cnb_error_message(err), "linux/amd64, linux/arm64/v8") && !strstr(cnb_error_message(err), "unknown"),
	   "error lists the platforms, not the attestation (%s)", cnb_error_message(err));
	cnb_error_free(err), err = NULL;
	cnb__oci_platform_parse(&p, "unknown/unknown", NULL);
	is_int(cnb__oci_index_select(&d, index_json, strlen(index_json), &p, &err), CNB_ENOTFOUND, "attestations never chosen");
	cnb_error_free(err), err = NULL;
	is_int(cnb__oci_platform_parse(&p, "linux", &err), CNB_EINVAL, "platform needs os/arch");
	cnb_error_free(err), err = NULL;
	is_int(cnb__oci_platform_parse(&p, "a/b/c/d", &err), CNB_EINVAL, "too many parts");
	cnb_error_free(err), err = NULL;
	is_int(cnb__oci_platform_parse(&p, "linux/amd64,linux/arm64", &err), CNB_EUNSUPPORTED, "a platform list is refused");
	ok(err && strstr(cnb_error_message(err), "comma list is for `cnb build`"), "and says where a list goes");
	cnb_error_free(err);
	ok(cnb__oci_platform_parse(&p, NULL, NULL) == 0 && !strcmp(p.os, "linux") && *p.arch, "NULL: the host platform");
}

static void bad_list(const char *list, const char *what)
{
	char **out = NULL;
	size_t n = 9;
	cnb_error *err = NULL;
	is_int(cnb__oci_platform_list_parse(&out, &n, list, &err), CNB_EINVAL, "platform list \"%s\": %s (%s)", list, what,
	       cnb_error_message(err));
	ok(!out && n == 0, "nothing handed back");
	cnb_error_free(err);
}

static void test_oci_platform__list_parses_and_normalizes(void)
{
	char **out = NULL;
	size_t n = 0;
	is_int(cnb__oci_platform_list_parse(&out, &n, "linux/x86_64, linux/aarch64/v8", NULL), 0, "a two-platform list");
	is_int((int)n, 2, "two entries");
	is_str(out && n == 2 ? out[0] : NULL, "linux/amd64", "aliases normalized");
	is_str(out && n == 2 ? out[1] : NULL, "linux/arm64/v8", "blanks dropped, variant kept");
	ok(out && !out[n], "NULL-terminated");
	for (size_t i = 0; out && out[i]; i++)
		free(out[i]);
	free(out);
	bad_list("linux/amd64,linux/x86_64", "a repeat (after normalizing)");
	bad_list("linux/amd64,,linux/arm64", "an empty entry");
	bad_list(",", "no entry at all");
	bad_list("linux/amd64,linux", "a bad entry");
	bad_list("linux/a1,linux/a2,linux/a3,linux/a4,linux/a5,linux/a6,linux/a7,linux/a8,linux/a9", "more than 8");
}

static void test_oci_manifest__media_type_detection(void)
{
	json_t *j = json_loads("{\"manifests\":[]}", 0, NULL);
	is_str(cnb__oci_doc_media_type(j, NULL), CNB_OCI_MT_INDEX, "no mediaType, manifests[]: index");
	is_str(cnb__oci_doc_media_type(j, CNB_DOCKER_MT_LIST), CNB_DOCKER_MT_LIST, "Content-Type used");
	json_decref(j);
	ok(cnb__oci_media_type_is_index(CNB_DOCKER_MT_LIST) && !cnb__oci_media_type_is_index(CNB_OCI_MT_MANIFEST), "is_index");
}

int main(void)
{
	test_oci_manifest__parses_docker_schema2();
	test_oci_manifest__refuses_bad_documents();
	test_oci_manifest__index_selects_platform();
	test_oci_platform__list_parses_and_normalizes();
	test_oci_manifest__media_type_detection();
	return tap_done();
}
