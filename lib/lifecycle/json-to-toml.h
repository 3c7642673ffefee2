/* JSON → TOML, for label metadata that goes back into lifecycle files (analyzed.toml [metadata]). */
#ifndef CNB_LC_JSON_TO_TOML_H
#define CNB_LC_JSON_TO_TOML_H

#include <jansson.h>
#include "lib/lifecycle/toml.h"

/*
 * Objects → tables, arrays → arrays, strings, booleans, integers, reals → floats; `null` members
 * and elements are left out (TOML has no null). NULL on OOM or nesting deeper than TOML allows.
 */
cnb_toml *cnb__toml_from_json(const json_t *v);

#endif
