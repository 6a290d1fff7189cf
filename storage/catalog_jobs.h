/* Outbound jobs in the catalog, with the columns the job queue needs beyond
 * struct catalog_job (gateway/queue.h is the only intended user). Same
 * conventions as storage/catalog.h: 0 or a negative FGW_ERR_* code,
 * FGW_ERR_NOT_FOUND for a missing row, FGW_ERR_RANGE for text too long. */
#ifndef FAXGW_STORAGE_CATALOG_JOBS_H
#define FAXGW_STORAGE_CATALOG_JOBS_H

#include <stdint.h>

#include "storage/catalog.h"

#define CATALOG_ORIGIN_MAX 16
#define CATALOG_JOB_ERROR_MAX 200
#define CATALOG_LINE_MAX 16
#define CATALOG_LINE_TRUNK "trunk"   /* to destination over the public trunk */
#define CATALOG_LINE_DEVICE "device" /* to the office device line */

struct catalog_outjob {
	struct catalog_job job;                    /* id, document, ... */
	char origin[CATALOG_ORIGIN_MAX + 1];       /* "device", "local", "trunk" */
	char device[CATALOG_NAME_MAX + 1];         /* which device/line; "" none */
	uint32_t max_tries;                        /* 1..100 */
	char last_error[CATALOG_JOB_ERROR_MAX + 1];/* why the last try failed */
	int64_t updated_ms;
	char line[CATALOG_LINE_MAX + 1];           /* route: CATALOG_LINE_*; "" = trunk */
};

/* Inserts j. FGW_ERR_EXISTS for a taken id, FGW_ERR_DENIED when the
 * document is unknown. */
int catalog_jobs_insert(struct catalog *cat, const struct catalog_outjob *j);

/* Fills *out with job id. FGW_ERR_NOT_FOUND. */
int catalog_jobs_get(struct catalog *cat, const char *id, struct catalog_outjob *out);

/* Stores attempts, next_try_ms, state, last_error and updated_ms of
 * j->job.id. FGW_ERR_NOT_FOUND. */
int catalog_jobs_update(struct catalog *cat, const struct catalog_outjob *j);

/* Fills *out with the job in state whose next_try_ms is lowest and at most
 * now_ms (oldest first on ties). FGW_ERR_NOT_FOUND when none is due. */
int catalog_jobs_next_due(struct catalog *cat, const char *state, int64_t now_ms,
			  struct catalog_outjob *out);

/* Moves every job in state from to state to, due at now_ms. *moved (may
 * be NULL) gets how many. */
int catalog_jobs_move_state(struct catalog *cat, const char *from, const char *to,
			    int64_t now_ms, int *moved);

/* Calls fn for every job, oldest first; j is valid only during the call.
 * fn returns 0 to go on; anything else stops the walk and is returned. Do
 * not change the catalog from inside fn. */
typedef int (*catalog_outjob_fn)(const struct catalog_outjob *j, void *arg);
int catalog_jobs_list(struct catalog *cat, catalog_outjob_fn fn, void *arg);

#endif
