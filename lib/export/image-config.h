/* Small edits of an image-spec config (JSON) shared by builder creation and export. */
#ifndef CNB_EXPORT_IMAGE_CONFIG_H
#define CNB_EXPORT_IMAGE_CONFIG_H

#include <jansson.h>
#include <stdint.h>

/* RFC 3339 UTC text of `epoch` ("1980-01-01T00:00:01Z" for CNB_TAR_EPOCH) into buf[32]. */
void cnb__export_rfc3339(int64_t epoch, char buf[32]);

/* Appends {"created": created, "created_by": created_by} to config.history, one per added layer, so
 * tools that pair history with layers (docker load, skopeo inspect) see a consistent image. 0 or -1 (OOM). */
int cnb__export_image_history_add(json_t *config, const char *created, const char *created_by);

/* The value of NAME in an Env array (["K=V", ...]), or NULL. */
const char *cnb__export_image_env_get(const json_t *env, const char *name);

/* Sets "NAME=VALUE" in an Env array, replacing an entry with the same name. 0 or -1. */
int cnb__export_image_env_set(json_t *env, const char *kv);

/* config.config.Labels of a whole image config, created (with config.config) when missing. NULL on OOM. */
json_t *cnb__export_image_config_labels(json_t *config);

/* config.config.Env of a whole image config (NULL when absent). */
const json_t *cnb__export_image_config_env(const json_t *config);

#endif
