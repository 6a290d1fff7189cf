/* libFuzzer: form, cookie and multipart parsers of web/http_parse.c. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "web/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_form f;
	struct http_multipart m;
	char *s = malloc(size + 1), v[256], b[HTTP_BOUNDARY_MAX + 1];

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (http_form_parse(s, size, &f) == 0)
		http_form_free(&f);
	(void)http_cookie_get(s, "__Host-faxgw", v, sizeof v);
	if (http_multipart_boundary(s, b, sizeof b) == 0)
		(void)http_multipart_parse(data, size, b, &m);
	(void)http_multipart_parse(data, size, "XyZ", &m);
	free(s);
	return 0;
}
