/* cnb_error: creation, context prefixes, accessors. */
#include "error-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct cnb_error oom_error = { CNB_ENOMEM, (char *)"out of memory" };

int cnb__error_setv(cnb_error **err, int code, const char *fmt, va_list ap)
{
	if (!err || *err)
		return code;
	struct cnb_error *e = malloc(sizeof(*e));
	if (!e || vasprintf(&e->message, fmt, ap) < 0) {
		free(e);
		*err = &oom_error;
		return code;
	}
	e->code = code;
	*err = e;
	return code;
}

int cnb__error_set(cnb_error **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cnb__error_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int cnb__error_errno(cnb_error **err, int code, int errno_value, const char *fmt, ...)
{
	char *head = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&head, fmt, ap);
	va_end(ap);
	if (n < 0)
		return cnb__error_set(err, CNB_ENOMEM, "out of memory");
	cnb__error_set(err, code, "%s: %s", head, strerror(errno_value));
	free(head);
	return code;
}

int cnb__error_prefix(cnb_error **err, const char *fmt, ...)
{
	if (!err)
		return CNB_EINTERNAL;
	char *head = NULL, *joined = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&head, fmt, ap);
	va_end(ap);
	if (!*err) {
		/* A failure path reached without an error: never let it pass for success. */
		cnb__error_set(err, CNB_EINTERNAL, "%s: failed without a message (a libcnb bug)", n >= 0 ? head : "?");
		free(head);
		return CNB_EINTERNAL;
	}
	if (*err != &oom_error && n >= 0 && asprintf(&joined, "%s: %s", head, (*err)->message) >= 0) {
		free((*err)->message);
		(*err)->message = joined;
	}
	free(head);
	return (*err)->code;
}

int cnb__error_code(cnb_error **err, int fallback)
{
	return err && *err ? (*err)->code : fallback;
}

int cnb__error_pass(cnb_error **err, cnb_error *e, int code)
{
	if (err && !*err)
		*err = e;
	else
		cnb_error_free(e);
	return code;
}

void cnb__error_freep(cnb_error **err)
{
	cnb_error_free(*err);
}

void cnb__error_clear(cnb_error **err)
{
	if (err) {
		cnb_error_free(*err);
		*err = NULL;
	}
}

int cnb_error_code_of(const cnb_error *err)
{
	return err ? err->code : CNB_OK;
}

const char *cnb_error_message(const cnb_error *err)
{
	return err ? err->message : "";
}

void cnb_error_free(cnb_error *err)
{
	if (!err || err == &oom_error)
		return;
	free(err->message);
	free(err);
}

const char *cnb_error_code_name(int code)
{
	static const char *const names[] = {
		"CNB_OK", "CNB_EINVAL", "CNB_ENOMEM", "CNB_EIO", "CNB_ENOTFOUND", "CNB_EAUTH",
		"CNB_EREGISTRY", "CNB_EDIGEST", "CNB_ENETWORK", "CNB_ECANCELED", "CNB_EVM",
		"CNB_EDETECT", "CNB_EBUILD", "CNB_EUNSUPPORTED", "CNB_ETIMEOUT", "CNB_EEXPORT",
		"CNB_EUNSAFE", "CNB_EPARSE", "CNB_EEXIST", "CNB_EINTERNAL",
	};
	if (code > 0 || (size_t)-code >= sizeof(names) / sizeof(names[0]))
		return "CNB_EUNKNOWN";
	return names[-code];
}
