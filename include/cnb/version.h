/* libcnb — library version. */
#ifndef CNB_VERSION_H
#define CNB_VERSION_H

#include <cnb/common.h>

CNB_BEGIN_DECLS

#define CNB_VERSION_MAJOR 0
#define CNB_VERSION_MINOR 1
#define CNB_VERSION_PATCH 0
#define CNB_VERSION_STRING "0.1.0"

/** The version of the library actually loaded ("0.1.0"). Static storage, never freed. */
CNB_EXTERN const char *cnb_version(void);

CNB_END_DECLS

#endif
