/* An app given as a .zip or .jar file (pack build -p app.jar): unpacked into a directory first. */
#ifndef CNB_PLATFORM_APP_ARCHIVE_H
#define CNB_PLATFORM_APP_ARCHIVE_H

#include <stdbool.h>
#include <cnb/error.h>

/* True when `path` names a .zip or .jar file (by its name, as pack decides). */
bool cnb__platform_app_archive_is(const char *path);

/* Unpacks the zip `path` into the existing directory `dst`: directories and regular files only
 * (symlinks and special entries skipped), no absolute or ".." paths, at most 1M entries and 8 GiB. */
int cnb__platform_app_archive_extract(const char *path, const char *dst, cnb_error **err);

#endif
