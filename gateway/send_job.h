/* Outbound documents between the vault and a sending fax endpoint.
 *
 * An outbound document is stored as ONE vault page holding the whole
 * fax-ready TIFF-F file (the catalog's page count is then set to the fax
 * pages). Sending decrypts it into a memory file (storage/memfile.h) that
 * SpanDSP reads by its /proc/self/fd path: plaintext never touches a disk,
 * and the memory file is overwritten when the job is freed. */
#ifndef FAXGW_GATEWAY_SEND_JOB_H
#define FAXGW_GATEWAY_SEND_JOB_H

#include <stdint.h>

#include "dsp/fax.h"
#include "gateway/queue.h"
#include "storage/catalog.h"

struct store;
struct send_job;

/* Stores the fax-ready TIFF in tiff_fd (read from offset 0; the caller
 * keeps and wipes it) as a new outbound document for destination with
 * pages fax pages, state "queued". id (VAULT_ID_LEN + 1 bytes) gets its
 * id. Returns 0 or a store code (nothing remains on failure). */
int send_job_store_document(struct store *s, int tiff_fd, const char *destination,
			    uint32_t pages, char *id);

/* Decrypts job's document into a memory file and makes a sending endpoint
 * for it from base (role, file and sub are set here; base may be NULL for
 * the defaults of fax_options_init: audio, ECM). Returns 0 and *out
 * (send_job_free it), or the codes of store_doc_open, vault reading,
 * memfile_create and fax_endpoint_new. */
int send_job_open(struct store *s, const struct catalog_outjob *job,
		  const struct fax_options *base, struct send_job **out);

/* The endpoint to pump over a line; owned by sj. */
struct fax_endpoint *send_job_endpoint(struct send_job *sj);

/* Hands the endpoint over (e.g. to call_start, which frees it); sj keeps
 * the memory file until send_job_free. Returns it, NULL when taken. */
struct fax_endpoint *send_job_take_endpoint(struct send_job *sj);

/* Frees the endpoint and wipes the memory file; NULL is fine. */
void send_job_free(struct send_job *sj);

/* How a finished call counts for the queue: ok, no answer (nobody
 * answered: T.30 T0/T1 expired), or failed. Busy is for the line layer,
 * which hears the busy tone before any T.30 starts. */
enum queue_result send_job_outcome(const struct fax_result *r);

#endif
