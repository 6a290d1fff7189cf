/* Private to web/mailbox*.c: the parsed /mailboxes/... address and the
 * helpers the mailbox pages share. */
#ifndef FAXGW_WEB_MAILBOX_INT_H
#define FAXGW_WEB_MAILBOX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/catalog.h"
#include "web/unlock.h"
#include "web/web_int.h"

#define MB_PREFIX "/mailboxes/"

/* /mailboxes/NUMBER[/ACTION] or /mailboxes/NUMBER/DOC/(ACTION|P.png). */
struct mb_path {
	char number[CATALOG_NUMBER_MAX + 1];  /* decoded: 0-9 * # */
	char doc[CATALOG_ID_MAX + 1];         /* "" when none */
	char action[16];                      /* "" = the mailbox page */
	unsigned page;                        /* 1-based, for "png" */
};

/* Parses path (the raw request path). Returns 0 or FGW_ERR_PARSE. */
int mb_path_parse(const char *path, struct mb_path *out);

/* Appends NUMBER with '#' as %23, for an address. */
void mb_url_number(struct html *h, const char *number);

/* Writes MB_PREFIX, number (encoded as above) and rest into out; on
 * overflow out is "/mailboxes". */
void mb_url(const char *number, const char *rest, char *out, size_t size);

/* Fills *mb when the user may open mailbox number (admin: any; owner: the
 * mailbox's owner field is the user name). Answers 404 itself (the same
 * for "no such mailbox" and "not yours") and returns false otherwise. */
bool mb_load(struct web_ctx *c, const char *number, struct catalog_mailbox *mb);

/* Copies the PIN this session unlocked number with into pin
 * (UNLOCK_PIN_MAX + 1 bytes, caller wipes). False (and a 403 page) when
 * the session has not unlocked it or the unlock ran out. */
bool mb_session_pin(struct web_ctx *c, const char *number, char *pin);

/* Writes an audit record of a web mailbox action (user, source, reason
 * "mailbox N: what"). */
void mb_audit(struct web_ctx *c, enum audit_event ev, const char *number, const char *what);

/* Document handlers (mailbox_doc.c). */
void mb_doc_preview(struct web_ctx *c, const struct mb_path *p);
void mb_doc_erase_form(struct web_ctx *c, const struct mb_path *p);
void mb_doc_erase(struct web_ctx *c, const struct mb_path *p);
void mb_doc_download(struct web_ctx *c, const struct mb_path *p);
void mb_doc_print(struct web_ctx *c, const struct mb_path *p);

#endif
