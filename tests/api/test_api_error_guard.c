/* The internal error helpers behind the public rule "err may be NULL": a failure path can never report
 * success, whether the caller passed NULL or a callee failed without a message. */
#include "lib/common/error-internal.h"
#include "tests/lib/tap.h"

/* A public-style entry point: fails deep inside with `code` (0: without setting any error). */
static int deep(int code, cnb_error **err)
{
	return code ? cnb__error_set(err, code, "deep %d", code) : -1;
}

static int entry(int code, cnb_error **err)
{
	CNB__ERROR_NEVER_NULL(err);
	ok(err != NULL, "inside an entry point err is never NULL");
	return deep(code, err) < 0 ? cnb__error_prefix(err, "entry") : 0;
}

static void test_api_error__prefix_never_reports_success(void)
{
	cnb_error *err = NULL;
	is_int(cnb__error_prefix(NULL, "ctx"), CNB_EINTERNAL, "prefix with err = NULL: CNB_EINTERNAL, not CNB_OK");
	is_int(cnb__error_prefix(&err, "ctx %d", 7), CNB_EINTERNAL, "prefix with no error set: CNB_EINTERNAL");
	is_str(cnb_error_message(err), "ctx 7: failed without a message (a libcnb bug)", "and an error naming the context");
	cnb__error_clear(&err);
	cnb__error_set(&err, CNB_ENOTFOUND, "gone");
	is_int(cnb__error_prefix(&err, "pull"), CNB_ENOTFOUND, "prefix keeps the code of a set error");
	is_str(cnb_error_message(err), "pull: gone", "and prepends the context");
	cnb_error_free(err);
}

static void test_api_error__guard_keeps_codes(void)
{
	cnb_error *err = NULL;
	is_int(entry(CNB_ENOTFOUND, NULL), CNB_ENOTFOUND, "err = NULL: the deep code comes back");
	is_int(entry(CNB_ENOTFOUND, &err), CNB_ENOTFOUND, "err given: the same code");
	is_str(cnb_error_message(err), "entry: deep -4", "with the message and its context");
	cnb__error_clear(&err);
	is_int(entry(0, NULL), CNB_EINTERNAL, "a failure without a message, err = NULL: still negative");
	is_int(entry(0, &err), CNB_EINTERNAL, "and with err: CNB_EINTERNAL");
	cnb_error_free(err);
}

int main(void)
{
	test_api_error__prefix_never_reports_success();
	test_api_error__guard_keeps_codes();
	return tap_done();
}
