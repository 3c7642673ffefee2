/*
 * libFuzzer target for registry manifests and indexes. Input: one selector byte, then the
 * document. The selector picks the HTTP Content-Type the "registry" sent and the platform we
 * want; an optional first line "platform:os/arch[/variant]" goes through the platform parser.
 * Checks: parse or fail cleanly; every parsed descriptor is valid and survives
 * cnb__oci_desc_to_json -> cnb__oci_desc_parse unchanged; index selection returns a valid
 * descriptor for a matching platform or fails cleanly.
 */
#include "fuzz-util.h"
#include "lib/common/error-internal.h"
#include "oci/digest.h"
#include "oci/manifest.h"

static const char *const content_types[] = {
	NULL, CNB_OCI_MT_MANIFEST, CNB_OCI_MT_INDEX, CNB_DOCKER_MT_MANIFEST, CNB_DOCKER_MT_LIST, "text/plain",
	"application/json", "",
};
static const char *const platforms[] = { "linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm64/v8",
					  "windows/amd64", "linux/386", "", "linux/riscv64" };

static void check_desc(const cnb__oci_desc *d)
{
	FUZZ_CHECK(d->media_type && *d->media_type && cnb__oci_digest_valid(d->digest));
	json_t *j = cnb__oci_desc_to_json(d);
	FUZZ_CHECK(j);
	cnb__oci_desc back;
	cnb_error *err = NULL;
	FUZZ_CHECK(cnb__oci_desc_parse(&back, j, "roundtrip", &err) == 0);
	FUZZ_CHECK(!strcmp(back.media_type, d->media_type) && !strcmp(back.digest, d->digest) && back.size == d->size);
	FUZZ_CHECK(!back.annotations == !(d->annotations && json_object_size(d->annotations)));
	cnb__oci_desc_clear(&back);
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	const char *doc = (const char *)data + 1;
	size_t len = size - 1;
	cnb_error *err = NULL;

	cnb__oci_platform want;
	FUZZ_CHECK(cnb__oci_platform_parse(&want, platforms[sel & 7], &err) == 0);
	if (len >= 9 && !memcmp(doc, "platform:", 9)) {
		const char *nl = memchr(doc, '\n', len);
		size_t line = nl ? (size_t)(nl - doc) : len;
		char *p = fuzz_cstr((const uint8_t *)doc + 9, line - 9);
		cnb__oci_platform parsed;
		if (cnb__oci_platform_parse(&parsed, p, &err) == 0) {
			FUZZ_CHECK(memchr(parsed.os, 0, sizeof(parsed.os)) && memchr(parsed.arch, 0, sizeof(parsed.arch)) &&
				   memchr(parsed.variant, 0, sizeof(parsed.variant)));
			char name[96];
			cnb__oci_platform_format(&parsed, name, sizeof(name));
			want = parsed;
		} else {
			cnb_error_free(err);
			err = NULL;
		}
		free(p);
		doc += nl ? line + 1 : line;
		len -= nl ? line + 1 : line;
	}
	const char *ct = content_types[(sel >> 3) & 7];

	cnb__oci_manifest m;
	if (cnb__oci_manifest_parse(&m, doc, len, ct, &err) == 0) {
		FUZZ_CHECK(cnb__oci_media_type_is_manifest(m.media_type));
		check_desc(&m.config);
		for (size_t i = 0; i < m.n_layers; i++)
			check_desc(&m.layers[i]);
		cnb__oci_manifest_clear(&m);
	} else {
		FUZZ_CHECK(err && m.layers == NULL && m.media_type == NULL);
		cnb_error_free(err);
		err = NULL;
	}

	cnb__oci_desc d;
	if (cnb__oci_index_select(&d, doc, len, &want, &err) == 0) {
		check_desc(&d);
		cnb__oci_desc_clear(&d);
	} else {
		FUZZ_CHECK(err);
		cnb_error_free(err);
		err = NULL;
	}

	/* Media-type sniffing on whatever JSON this is. */
	json_t *root = json_loadb(doc, len, 0, NULL);
	if (root) {
		FUZZ_CHECK(cnb__oci_doc_media_type(root, ct) != NULL);
		json_decref(root);
	}
	return 0;
}
