/* The in-memory table of unlocked mailboxes (see unlock.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/err.h"
#include "common/str.h"
#include "web/unlock.h"

struct unlock_entry {
	bool used;
	int64_t expires_ms;
	char session[UNLOCK_KEY_MAX + 1];
	char mailbox[UNLOCK_NUMBER_MAX + 1];
	char pin[UNLOCK_PIN_MAX + 1];
};

struct unlock_store {
	struct unlock_entry e[UNLOCK_MAX];
};

struct unlock_store *unlock_store_new(void)
{
	return calloc(1, sizeof(struct unlock_store));
}

static void wipe(struct unlock_entry *e)
{
	OPENSSL_cleanse(e, sizeof *e);
	e->used = false;
}

void unlock_store_free(struct unlock_store *u)
{
	if (!u)
		return;
	OPENSSL_cleanse(u, sizeof *u);
	free(u);
}

static struct unlock_entry *find(struct unlock_store *u, const char *session,
				 const char *mailbox)
{
	for (size_t i = 0; i < UNLOCK_MAX; i++)
		if (u->e[i].used && strcmp(u->e[i].session, session) == 0 &&
		    strcmp(u->e[i].mailbox, mailbox) == 0)
			return &u->e[i];
	return NULL;
}

/* A free slot, or the one that expires first (evicted). */
static struct unlock_entry *slot(struct unlock_store *u)
{
	struct unlock_entry *oldest = &u->e[0];

	for (size_t i = 0; i < UNLOCK_MAX; i++) {
		if (!u->e[i].used)
			return &u->e[i];
		if (u->e[i].expires_ms < oldest->expires_ms)
			oldest = &u->e[i];
	}
	wipe(oldest);
	return oldest;
}

int unlock_put(struct unlock_store *u, const char *session, const char *mailbox,
	       const char *pin, int64_t now_ms)
{
	struct unlock_entry *e;

	if (!u || !session || !mailbox || !pin || !*session || !*mailbox || !*pin ||
	    strlen(session) > UNLOCK_KEY_MAX || strlen(mailbox) > UNLOCK_NUMBER_MAX ||
	    strlen(pin) > UNLOCK_PIN_MAX)
		return FGW_ERR_INVALID;
	e = find(u, session, mailbox);
	if (!e)
		e = slot(u);
	wipe(e);
	if (str_copy(e->session, sizeof e->session, session) != FGW_OK ||
	    str_copy(e->mailbox, sizeof e->mailbox, mailbox) != FGW_OK ||
	    str_copy(e->pin, sizeof e->pin, pin) != FGW_OK) {
		wipe(e);
		return FGW_ERR_INVALID;
	}
	e->expires_ms = now_ms + UNLOCK_TTL_MS;
	e->used = true;
	return FGW_OK;
}

int unlock_get(struct unlock_store *u, const char *session, const char *mailbox,
	       int64_t now_ms, char *pin, int64_t *expires_ms)
{
	struct unlock_entry *e = u && session && mailbox ? find(u, session, mailbox) : NULL;

	if (!e)
		return FGW_ERR_NOT_FOUND;
	if (e->expires_ms <= now_ms) {
		wipe(e);
		return FGW_ERR_NOT_FOUND;
	}
	memcpy(pin, e->pin, sizeof e->pin);
	if (expires_ms)
		*expires_ms = e->expires_ms;
	return FGW_OK;
}

void unlock_forget(struct unlock_store *u, const char *session, const char *mailbox)
{
	if (!u || !session)
		return;
	for (size_t i = 0; i < UNLOCK_MAX; i++)
		if (u->e[i].used && strcmp(u->e[i].session, session) == 0 &&
		    (!mailbox || strcmp(u->e[i].mailbox, mailbox) == 0))
			wipe(&u->e[i]);
}

void unlock_sweep(struct unlock_store *u, int64_t now_ms)
{
	if (!u)
		return;
	for (size_t i = 0; i < UNLOCK_MAX; i++)
		if (u->e[i].used && u->e[i].expires_ms <= now_ms)
			wipe(&u->e[i]);
}

size_t unlock_count(const struct unlock_store *u)
{
	size_t n = 0;

	for (size_t i = 0; u && i < UNLOCK_MAX; i++)
		n += u->e[i].used;
	return n;
}
