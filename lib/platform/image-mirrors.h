/* Registry mirrors of a build (pack's config registry-mirrors): where to pull an image from. */
#ifndef CNB_PLATFORM_IMAGE_MIRRORS_H
#define CNB_PLATFORM_IMAGE_MIRRORS_H

/* `name` (a registry reference) with its registry replaced by the mirror that `mirrors`
 * ("REGISTRY=MIRROR", NULL-terminated, may be NULL) names for it, as "docker://MIRROR/REPO:TAG" (or
 * @DIGEST); a copy of `name` when none applies. "docker.io" and "index.docker.io" are one registry.
 * NULL on OOM. */
char *cnb__platform_build_mirror_name(const char *name, const char *const *mirrors);

#endif
