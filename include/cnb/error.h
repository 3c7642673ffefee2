/* libcnb — errors: a stable code plus a message with context. */
#ifndef CNB_ERROR_H
#define CNB_ERROR_H

#include <cnb/common.h>

CNB_BEGIN_DECLS

/** Stable error codes. Never renumbered; new codes are only added at the end. */
typedef enum cnb_error_code {
	CNB_OK = 0,
	CNB_EINVAL = -1,       /**< bad argument or usage */
	CNB_ENOMEM = -2,       /**< out of memory */
	CNB_EIO = -3,          /**< local file system error */
	CNB_ENOTFOUND = -4,    /**< image, tag, blob or file does not exist */
	CNB_EAUTH = -5,        /**< credentials missing or refused */
	CNB_EREGISTRY = -6,    /**< registry answered with an error */
	CNB_EDIGEST = -7,      /**< content does not match its digest */
	CNB_ENETWORK = -8,     /**< registry unreachable, connection reset */
	CNB_ECANCELED = -9,    /**< cancelled by the caller */
	CNB_EVM = -10,         /**< the build VM failed to start or crashed */
	CNB_EDETECT = -11,     /**< no buildpack group passed detection */
	CNB_EBUILD = -12,      /**< a buildpack failed during build */
	CNB_EUNSUPPORTED = -13,/**< unsupported API version, media type or platform */
	CNB_ETIMEOUT = -14,    /**< a deadline passed */
	CNB_EEXPORT = -15,     /**< exporting the image failed */
	CNB_EUNSAFE = -16,     /**< untrusted input refused (path traversal, symlink escape, size limit) */
	CNB_EPARSE = -17,      /**< malformed input (JSON, TOML, reference, manifest) */
	CNB_EEXIST = -18,      /**< something that must not exist already does */
	CNB_EINTERNAL = -19,   /**< a failure the library did not describe (a bug: please report it with the message) */
} cnb_error_code;

/** An error: code and human-readable message, context first ("pull x: manifest: HTTP 404"). */
typedef struct cnb_error cnb_error;

/** @return the error's code (a negative cnb_error_code); CNB_OK for NULL. */
CNB_EXTERN int cnb_error_code_of(const cnb_error *err);

/** @return the error's message, valid until cnb_error_free(); "" for NULL. */
CNB_EXTERN const char *cnb_error_message(const cnb_error *err);

/** @return a short constant name for a code ("CNB_ENOTFOUND"; "CNB_EUNKNOWN" for an unknown one). Static storage. */
CNB_EXTERN const char *cnb_error_code_name(int code);

/** Frees an error. Accepts NULL. */
CNB_EXTERN void cnb_error_free(cnb_error *err);

CNB_END_DECLS

#endif
