/* libFuzzer target: one WWW-Authenticate / Authorization header value
 * through sip_digest_parse; a parsed challenge is answered by the client
 * (the answer must parse back with the same nonce and a digest-length
 * response), and parsed credentials are checked by a server (a random
 * secret: never accepted). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "gateway/sip_digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void answer(const struct sip_digest_params *ch)
{
	char out[SIP_DIGEST_HEADER_MAX * 2];
	struct sip_digest_params back;
	int rc = sip_digest_client_answer(ch, "REGISTER", "sip:127.0.0.1", "fuzz", "password",
					  1, "cn", out, sizeof out);

	if (rc != FGW_OK)
		return;
	if (sip_digest_parse(out, strlen(out), &back) != FGW_OK ||
	    strcmp(back.nonce, ch->nonce) != 0 || strcmp(back.realm, ch->realm) != 0 ||
	    strlen(back.response) != (ch->alg == SIP_DIGEST_SHA256 ? 64u : 32u))
		abort();
}

static void verify(const struct sip_digest_params *cred)
{
	static const char ha1[] = "00112233445566778899aabbccddeeff";
	struct sip_digest_server *srv = NULL;

	if (sip_digest_server_new("faxgw", 1000, &srv) != FGW_OK)
		return;
	if (sip_digest_server_verify(srv, cred, "REGISTER", ha1, 0) == FGW_OK)
		abort();
	sip_digest_server_free(srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_digest_params p;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (sip_digest_parse(text, size, &p) == FGW_OK) {
		(void)sip_digest_client_rank(&p);
		answer(&p);
		verify(&p);
	}
	free(text);
	return 0;
}
