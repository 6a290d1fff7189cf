/* Inbound fax policy (seed 000 4.4 case 2): one struct inbound per call
 * that the gateway answers from the trunk. The call engine drives it:
 *
 *   inbound_begin        when the call is answered (before phase B)
 *   inbound_rx_path      file name to give the receiving fax endpoint
 *   inbound_decide       from the endpoint's decide callback (phase B)
 *   inbound_finish       from the endpoint's done callback
 *   inbound_free         always, last
 *
 * Routing: a SUB (F-code) naming a mailbox -> the mailbox's F-code password
 * (when it has one) is compared with the sender's SID, or with PWD when the
 * far end sent a PWD frame (SpanDSP 0.0.6 senders carry the password in
 * SID; PWD only travels with polling) -> a mismatch rejects the call with
 * the T.30 PWD cause. A SUB naming no mailbox is rejected (FAX_REJECT_SUB)
 * unless [inbound] unknown_sub = inbox. No SUB: the general inbox.
 *
 * Storage: SpanDSP writes the received TIFF-F into a memory file
 * (storage/memfile.h), never to disk. inbound_finish encrypts it into the
 * vault as a document of ONE vault page holding the whole received TIFF-F
 * (every fax page, as coded on the line); the catalog row's pages field is
 * the number of fax pages. The memory file is wiped afterwards. A reception
 * that failed after some pages keeps what arrived (held as any other) and
 * its audit record says result "partial: <T.30 reason>".
 *
 * Audit: every call, accepted, rejected or failed, leaves one fax_received
 * (document stored) or fax_failed record (audit_fax), made durable before
 * inbound_finish returns. Passwords never reach a record or a log.
 *
 * Use one struct inbound from one thread. Not thread-safe across calls that
 * share one store (the store is single-threaded too). */
#ifndef FAXGW_GATEWAY_INBOUND_H
#define FAXGW_GATEWAY_INBOUND_H

#include <stdbool.h>
#include <stdint.h>

#include "dsp/fax.h"
#include "storage/catalog.h"

struct config;
struct notify;
struct store;
struct inbound;

/* Called by inbound_finish for a document stored in the general inbox when
 * [inbound] forward_inbox_to_device = yes: the daemon/queue sends it to the
 * office device line. doc_id is the vault id (32 hex digits), doc the
 * catalog row (valid during the call only). Returns 0, or an FGW_ERR_* code
 * that is logged (the document stays in the inbox) but does not fail the
 * fax. The queue that sends it audits the sending itself. */
typedef int (*inbound_forward_fn)(void *arg, const char *doc_id,
				  const struct catalog_document *doc);

/* What every call of one daemon shares. Not owned by struct inbound: they
 * must outlive every struct inbound made from them. */
struct inbound_env {
	struct store *store;
	const struct config *cfg;     /* [inbound] keys; NULL: the defaults */
	/* Optional (NULL: none): the owner notification hook. inbound_finish
	 * starts it without waiting (notify_spawn) for every call, with event
	 * fax_held (mailbox), fax_received (inbox), fax_rejected or
	 * fax_failed; the daemon reaps it with notify_poll. */
	struct notify *notify;
	/* Optional (NULL: forwarding configured but nobody to forward to is
	 * logged as a warning). */
	inbound_forward_fn forward;
	void *forward_arg;
};

/* Starts a call that came in from from_number (caller id; may be NULL or
 * "") on the line named line_name (for logs and the audit record; may be
 * NULL). Creates the memory file the endpoint will write. Returns 0 and
 * *out (caller frees with inbound_free), FGW_ERR_INVALID (env or store
 * NULL), FGW_ERR_NOMEM or FGW_ERR_IO. */
int inbound_begin(const struct inbound_env *env, const char *from_number,
		  const char *line_name, struct inbound **out);

/* Decides on what the far end presented in phase B (see the routing above)
 * and remembers the decision, the SUB, the mailbox and the sender's TSI
 * for inbound_finish. info's SID/PWD are compared in constant time and
 * never copied. A catalog error while looking up the mailbox rejects the
 * call (FAX_REJECT_SUB) and is logged. Asked twice, the first answer
 * stands. */
enum fax_decision inbound_decide(struct inbound *in, const struct fax_phase_b *info);

/* The path ("/proc/self/fd/N") the receiving endpoint writes its TIFF to
 * (fax_options.file). Owned by in; valid until inbound_free. */
const char *inbound_rx_path(const struct inbound *in);

/* Ends the call with the endpoint's result: stores the received pages (if
 * the call was accepted and at least one page arrived), wipes the memory
 * file, appends the audit record and syncs it, starts the notification
 * hook, and hands a general-inbox document to env->forward when
 * configured. Returns 0 when the call's outcome was handled (even a
 * rejected or failed fax: that is audited, not an error), or the first
 * storage/audit error (what could be done is still done). Call once;
 * a second call returns FGW_ERR_STATE. */
int inbound_finish(struct inbound *in, const struct fax_result *res);

/* Sets the call's line time for the audit record, for lines that run
 * faster than real time (the simulation); by default it is the wall time
 * from inbound_begin to inbound_finish. */
void inbound_set_line_time(struct inbound *in, int64_t ms);

/* The stored document's id (32 hex digits) after inbound_finish, "" when
 * nothing was stored. Owned by in. */
const char *inbound_document_id(const struct inbound *in);

/* The decision inbound_decide gave (FAX_REJECT_SUB before it was asked). */
enum fax_decision inbound_decision(const struct inbound *in);

/* The mailbox the SUB named (also when its password was refused): "" for
 * the general inbox, an unknown SUB, or before inbound_decide. Owned by in. */
const char *inbound_mailbox(const struct inbound *in);

/* True when inbound_finish handed the document to env->forward and it
 * returned 0. */
bool inbound_forwarded(const struct inbound *in);

/* Wipes the memory file (if inbound_finish did not), wipes and frees in.
 * NULL is fine. */
void inbound_free(struct inbound *in);

#endif
