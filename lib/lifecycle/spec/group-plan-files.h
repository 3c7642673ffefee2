/* group.toml and plan.toml: the detector's outputs, the builder's inputs (platform.md "group.toml", "plan.toml"). */
#ifndef CNB_LC_GROUP_PLAN_FILES_H
#define CNB_LC_GROUP_PLAN_FILES_H

#include <cnb/error.h>
#include "lib/lifecycle/spec/plan.h"
#include "lib/toml/toml.h"

/* Writes a TOML document atomically. */
int cnb__lifecycle_toml_doc_write_file(const cnb_toml *doc, const char *path, cnb_error **err);

/*
 * [[group]] id, version, api, homepage (omitted when empty); `optional` is stripped. Image extensions
 * go to [[group-extensions]] (written only when there are some).
 */
int cnb__lifecycle_group_file_write(const char *path, const cnb__lifecycle_group_elem *const *group, size_t n, cnb_error **err);
/* Reads [[group]]; *out is an array of n elements (free each with cnb__lifecycle_group_elem_free, then the array). */
int cnb__lifecycle_group_file_read(const char *path, cnb__lifecycle_group_elem **out, size_t *n, cnb_error **err);

/* [[group-extensions]], the same way (every element marked extension). */
int cnb__lifecycle_group_extensions_read(const char *path, cnb__lifecycle_group_elem **out, size_t *n, cnb_error **err);

/* [[entries]] with [[entries.providers]] id, version (extension = true for an
 * image extension) and [[entries.requires]] name, metadata. */
int cnb__lifecycle_plan_file_write(const char *path, const cnb__lifecycle_plan_result *plan, cnb_error **err);

/* Whether a plan.toml [[entries]] table names (id, kind) among its providers (lifecycle platform/files/plan.go Find). */
bool cnb__lifecycle_plan_entry_has_provider(const cnb_toml *entry, const char *id, bool extension);

#endif
