/* Outbound documents between the vault and a sending endpoint; see
 * send_job.h. */
#include "gateway/send_job.h"

#include <stdlib.h>

#include <spandsp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/str.h"
#include "storage/memfile.h"
#include "storage/store.h"

struct send_job {
	int fd;                     /* the decrypted TIFF, memory only */
	struct fax_endpoint *ep;
};

int send_job_store_document(struct store *s, int tiff_fd, const char *destination,
			    uint32_t pages, char *id)
{
	struct catalog_document meta = { .direction = CATALOG_DIR_OUT,
					 .state = CATALOG_DOC_QUEUED };
	struct store_doc *d = NULL;
	int rc = str_copy(meta.remote_number, sizeof meta.remote_number, destination);

	if (rc == FGW_OK)
		rc = store_doc_create(s, &meta, &d);
	if (rc == FGW_OK)
		rc = store_doc_add_page_fd(d, tiff_fd);
	if (rc != FGW_OK) {
		store_doc_abort(d);
		return rc;
	}
	rc = store_doc_commit(d, id);
	/* The vault counts its one page; the catalog shows fax pages. */
	if (rc == FGW_OK)
		rc = catalog_document_set_state(store_catalog(s), id, CATALOG_DOC_QUEUED, pages,
						store_now_ms());
	return rc;
}

/* Copies the document's one page (the TIFF) into a new memory file. */
static int decrypt_to_memfile(struct store *s, const char *document, int *fd)
{
	struct vault_reader *r = NULL;
	int rc = store_doc_open(s, document, NULL, &r);

	*fd = -1;
	if (rc == FGW_OK) {
		rc = vault_reader_next_page(r, NULL);
		rc = rc == 1 ? FGW_OK : rc == 0 ? FGW_ERR_TRUNCATED : rc;
	}
	if (rc == FGW_OK) {
		*fd = memfile_create("faxgw-send");
		rc = *fd < 0 ? *fd : vault_reader_page_to_fd(r, *fd);
	}
	vault_reader_close(r);
	if (rc != FGW_OK && *fd >= 0) {
		(void)memfile_wipe_close(*fd);
		*fd = -1;
	}
	return rc;
}

int send_job_open(struct store *s, const struct catalog_outjob *job,
		  const struct fax_options *base, struct send_job **out)
{
	struct send_job *sj = calloc(1, sizeof *sj);
	char path[MEMFILE_PATH_MAX];
	struct fax_options o;
	int rc;

	*out = NULL;
	if (sj == NULL)
		return FGW_ERR_NOMEM;
	rc = decrypt_to_memfile(s, job->job.document, &sj->fd);
	if (rc == FGW_OK)
		rc = memfile_path(sj->fd, path);
	if (rc == FGW_OK) {
		if (base != NULL)
			o = *base;
		else
			fax_options_init(&o);
		o.role = FAX_SEND;
		o.file = path;
		rc = fax_endpoint_new(&o, &sj->ep);
	}
	if (rc != FGW_OK) {
		log_warn("job %s: cannot prepare document %s for sending: %s", job->job.id,
			 job->job.document, fgw_strerror(rc));
		send_job_free(sj);
		return rc;
	}
	*out = sj;
	return FGW_OK;
}

struct fax_endpoint *send_job_endpoint(struct send_job *sj)
{
	return sj->ep;
}

struct fax_endpoint *send_job_take_endpoint(struct send_job *sj)
{
	struct fax_endpoint *ep = sj->ep;

	sj->ep = NULL;
	return ep;
}

void send_job_free(struct send_job *sj)
{
	if (sj == NULL)
		return;
	fax_endpoint_free(sj->ep);
	if (sj->fd >= 0 && memfile_wipe_close(sj->fd) != FGW_OK)
		log_warn("could not wipe the memory copy of a sent document");
	free(sj);
}

enum queue_result send_job_outcome(const struct fax_result *r)
{
	if (r->err == FGW_OK)
		return QUEUE_OK;
	if (r->t30_code == T30_ERR_T0_EXPIRED || r->t30_code == T30_ERR_T1_EXPIRED)
		return QUEUE_NO_ANSWER;
	return QUEUE_FAILED;
}
