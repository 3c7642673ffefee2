/* libcnb — umbrella header. */
#ifndef CNB_CNB_H
#define CNB_CNB_H

#include <cnb/common.h>
#include <cnb/version.h>
#include <cnb/error.h>
#include <cnb/log.h>
#include <cnb/ctx.h>
#include <cnb/rootfs.h>
#include <cnb/image.h>
#include <cnb/build.h>
#include <cnb/builder.h>
#include <cnb/buildpack.h>
#include <cnb/vm.h>

#endif
