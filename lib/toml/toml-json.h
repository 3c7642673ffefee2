/*
 * TOML <-> JSON: label metadata that goes back into lifecycle files (analyzed.toml [metadata]),
 * and TOML tables that go into image labels (layer [metadata], store.toml, project metadata).
 */
#ifndef CNB_TOML_JSON_H
#define CNB_TOML_JSON_H

#include <jansson.h>
#include "lib/toml/toml.h"

/*
 * Objects → tables, arrays → arrays, strings, booleans, integers, reals → floats; `null` members
 * and elements are left out (TOML has no null). NULL on OOM or nesting deeper than TOML allows.
 */
cnb_toml *cnb__toml_from_json(const json_t *v);

/* The JSON form of a TOML value (datetimes as their RFC 3339 text). NULL on OOM. */
json_t *cnb__toml_to_json(const cnb_toml *v);

#endif
