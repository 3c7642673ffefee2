/* A tiny work queue: an atomic next-index and a shared failure flag; no job ordering guarantees. */
#include "parallel.h"
#include "lib/common/error-internal.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct pool {
	size_t n;
	size_t next;
	bool failed;
	cnb__oci_job_fn job;
	void *userdata;
	pthread_mutex_t lock;
	size_t err_index;
	int err_code;
	cnb_error *err;
} pool;

static void *worker(void *arg)
{
	pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = p->next++;
		bool stop = p->failed || i >= p->n;
		pthread_mutex_unlock(&p->lock);
		if (stop)
			return NULL;
		cnb_error *e = NULL;
		int rc = p->job(i, p->userdata, &e);
		if (rc >= 0) {
			cnb_error_free(e);
			continue;
		}
		pthread_mutex_lock(&p->lock);
		if (!p->failed || i < p->err_index) {
			cnb_error_free(p->err);
			p->err = e;
			e = NULL;
			p->err_code = rc;
			p->err_index = i;
		}
		p->failed = true;
		pthread_mutex_unlock(&p->lock);
		cnb_error_free(e);
	}
}

int cnb__oci_parallel(size_t n, size_t threads, cnb__oci_job_fn job, void *userdata, cnb_error **err)
{
	pool p = { .n = n, .job = job, .userdata = userdata };
	pthread_mutex_init(&p.lock, NULL);
	if (threads > n)
		threads = n;
	pthread_t tids[16];
	size_t started = 0;
	if (threads > 16)
		threads = 16;
	/* The calling thread works too, so one job never costs a thread. */
	for (size_t t = 1; t < threads; t++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;
	worker(&p);
	for (size_t t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	pthread_mutex_destroy(&p.lock);
	if (!p.failed)
		return 0;
	return cnb__error_pass(err, p.err, p.err_code);
}
