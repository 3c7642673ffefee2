/* Encoding (guest) and bounded decoding (host) of the event channel. */
#include "guest-protocol.h"
#include "../common/fs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	[CNB_GUEST_EVENT_BOOTED] = "booted",         [CNB_GUEST_EVENT_READY] = "ready",           [CNB_GUEST_EVENT_LOG] = "log",
	[CNB_GUEST_EVENT_STEP_START] = "step_start", [CNB_GUEST_EVENT_STEP_END] = "step_end",
	[CNB_GUEST_EVENT_ERROR] = "error",           [CNB_GUEST_EVENT_DONE] = "done",
};

/* The length of the longest prefix of `s` within `max` bytes that does not split a UTF-8 sequence:
 * jansson refuses a string with half a character, and the event would then lose its message. */
static size_t utf8_prefix(const char *s, size_t max)
{
	if (strlen(s) <= max)
		return strlen(s);
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

int cnb__executor_guest_event_write(int fd, const cnb__executor_guest_event *ev)
{
	json_t *o = json_pack("{s:s}", "event", type_names[ev->type]);
	if (!o)
		return -1;
	switch (ev->type) {
	case CNB_GUEST_EVENT_READY:
		json_object_set_new(o, "ms", json_integer((json_int_t)ev->ms));
		break;
	case CNB_GUEST_EVENT_LOG:
	case CNB_GUEST_EVENT_ERROR:
		json_object_set_new(o, "message", json_string(ev->message));
		break;
	case CNB_GUEST_EVENT_STEP_START:
		json_object_set_new(o, "step", json_integer(ev->step));
		break;
	case CNB_GUEST_EVENT_STEP_END:
		json_object_set_new(o, "step", json_integer(ev->step));
		json_object_set_new(o, "exit_code", json_integer(ev->exit_code));
		json_object_set_new(o, "timed_out", json_boolean(ev->timed_out));
		if (ev->no_space)
			json_object_set_new(o, "no_space", json_true());
		json_object_set_new(o, "ms", json_integer((json_int_t)ev->ms));
		break;
	case CNB_GUEST_EVENT_BOOTED:
	case CNB_GUEST_EVENT_DONE:
		break;
	}
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s)
		return -1;
	size_t n = strlen(s);
	if (n >= CNB_GUEST_EVENT_MAX_LINE) { /* only a huge message can get here: cut it, keep the line valid */
		free(s);
		cnb__executor_guest_event cut = *ev;
		cut.message[utf8_prefix(cut.message, CNB_GUEST_EVENT_MAX_LINE / 8)] = '\0';
		return cnb__executor_guest_event_write(fd, &cut);
	}
	s[n] = '\n';
	int rc = cnb__write_all(fd, s, n + 1);
	free(s);
	return rc;
}

static bool get_int(json_t *o, const char *key, long long min, long long max, long long *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return false;
	*out = json_integer_value(v);
	return true;
}

int cnb__executor_guest_event_parse(const char *line, size_t len, cnb__executor_guest_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (len >= CNB_GUEST_EVENT_MAX_LINE)
		return -1;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *name = json_string_value(json_object_get(o, "event"));
	int type = -1;
	for (size_t i = 0; name && i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (!strcmp(name, type_names[i]))
			type = (int)i;
	bool ok = type >= 0;
	long long v = 0;
	ev->type = (cnb__executor_guest_event_type)type;
	switch (ok ? ev->type : CNB_GUEST_EVENT_DONE) {
	case CNB_GUEST_EVENT_READY:
		ok = get_int(o, "ms", 0, INT64_MAX, &v);
		ev->ms = (uint64_t)v;
		break;
	case CNB_GUEST_EVENT_LOG:
	case CNB_GUEST_EVENT_ERROR: {
		const char *m = json_string_value(json_object_get(o, "message"));
		ok = m != NULL;
		snprintf(ev->message, sizeof(ev->message), "%.*s", m ? (int)utf8_prefix(m, sizeof(ev->message) - 1) : 0,
			 m ? m : "");
		break;
	}
	case CNB_GUEST_EVENT_STEP_START:
		ok = get_int(o, "step", 0, UINT32_MAX, &v);
		ev->step = (uint32_t)v;
		break;
	case CNB_GUEST_EVENT_STEP_END:
		ok = get_int(o, "step", 0, UINT32_MAX, &v);
		ev->step = (uint32_t)v;
		ok = ok && get_int(o, "exit_code", 0, 255 + 128, &v);
		ev->exit_code = (int)v;
		ok = ok && get_int(o, "ms", 0, INT64_MAX, &v) && json_is_boolean(json_object_get(o, "timed_out"));
		ev->ms = (uint64_t)v;
		ev->timed_out = json_is_true(json_object_get(o, "timed_out"));
		ev->no_space = json_is_true(json_object_get(o, "no_space"));
		break;
	case CNB_GUEST_EVENT_BOOTED:
	case CNB_GUEST_EVENT_DONE:
		break;
	}
	json_decref(o);
	return ok ? 0 : -1;
}

int cnb__executor_guest_go_write(int fd, const cnb__executor_guest_go *go)
{
	char hex[2 * CNB_GUEST_GO_SEED_BYTES + 1], line[160];
	for (size_t i = 0; i < CNB_GUEST_GO_SEED_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", go->seed[i]);
	int n = snprintf(line, sizeof(line), "{\"go\":1,\"time_ns\":%lld,\"seed\":\"%s\"}\n", (long long)go->time_ns, hex);
	return cnb__write_all(fd, line, (size_t)n);
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int cnb__executor_guest_go_parse(const char *line, size_t len, cnb__executor_guest_go *go)
{
	memset(go, 0, sizeof(*go));
	if (len >= CNB_GUEST_EVENT_MAX_LINE)
		return -1;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	long long one = 0, t = 0;
	const char *seed = json_string_value(json_object_get(o, "seed"));
	bool ok = get_int(o, "go", 1, 1, &one) && get_int(o, "time_ns", 0, INT64_MAX, &t) && seed &&
		  strlen(seed) == 2 * CNB_GUEST_GO_SEED_BYTES;
	for (size_t i = 0; ok && i < CNB_GUEST_GO_SEED_BYTES; i++) {
		int hi = hex_value(seed[2 * i]), lo = hex_value(seed[2 * i + 1]);
		ok = hi >= 0 && lo >= 0;
		go->seed[i] = (uint8_t)(hi << 4 | lo);
	}
	go->time_ns = t;
	json_decref(o);
	return ok ? 0 : -1;
}
