#include "image-config.h"

#include <cnb/build.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void cnb__export_rfc3339(int64_t epoch, char buf[32])
{
	time_t t = (time_t)epoch;
	struct tm tm;
	/* Out of range (callers check, see CNB_BUILD_TIME_MAX): the epoch, never uninitialised bytes. */
	if (epoch < 0 || epoch > CNB_BUILD_TIME_MAX || !gmtime_r(&t, &tm) ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "1970-01-01T00:00:00Z");
}

int cnb__export_image_history_add(json_t *config, const char *created, const char *created_by)
{
	json_t *history = json_object_get(config, "history");
	if (!json_is_array(history)) {
		history = json_array();
		if (!history || json_object_set_new(config, "history", history) < 0)
			return -1;
	}
	json_t *entry = json_pack("{s:s, s:s}", "created", created, "created_by", created_by);
	return entry && json_array_append_new(history, entry) == 0 ? 0 : -1;
}

const char *cnb__export_image_env_get(const json_t *env, const char *name)
{
	size_t i, len = strlen(name);
	const json_t *v;
	json_array_foreach(env, i, v) {
		const char *kv = json_string_value(v);
		if (kv && !strncmp(kv, name, len) && kv[len] == '=')
			return kv + len + 1;
	}
	return NULL;
}

int cnb__export_image_env_set(json_t *env, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (!eq)
		return -1;
	size_t i, len = (size_t)(eq - kv) + 1;
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *old = json_string_value(v);
		if (old && !strncmp(old, kv, len))
			return json_array_set_new(env, i, json_string(kv));
	}
	return json_array_append_new(env, json_string(kv));
}

const json_t *cnb__export_image_config_env(const json_t *config)
{
	return json_object_get(json_object_get(config, "config"), "Env");
}

/* The object under `key`, created when missing or not an object. */
static json_t *member_object(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_object(v)) {
		v = json_object();
		if (!v || json_object_set_new(obj, key, v) < 0)
			return NULL;
	}
	return v;
}

json_t *cnb__export_image_config_labels(json_t *config)
{
	json_t *cc = member_object(config, "config");
	return cc ? member_object(cc, "Labels") : NULL;
}
