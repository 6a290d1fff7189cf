/* web/http_parse: forms, cookies, multipart, with malformed input. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "web/http_parse.h"

static int form(const char *s, struct http_form *f)
{
	return http_form_parse(s, strlen(s), f);
}

Test(http_form, decodes_plus_and_percent)
{
	struct http_form f;
	cr_assert_eq(form("a=1&b=x+y%21&&c=", &f), FGW_OK);
	cr_assert_eq(f.count, 3);
	cr_assert_str_eq(http_form_get(&f, "b"), "x y!");
	cr_assert_str_eq(http_form_get(&f, "c"), "");
	cr_assert_null(http_form_get(&f, "d"));
	http_form_free(&f);
}

Test(http_form, refuses_bad_percent)
{
	struct http_form f;
	cr_assert_eq(form("a=%4", &f), FGW_ERR_PARSE);
	cr_assert_eq(form("a=%zz", &f), FGW_ERR_PARSE);
	cr_assert_eq(form("a=%", &f), FGW_ERR_PARSE);
	cr_assert_eq(f.count, 0);
}

Test(http_form, refuses_nul_and_controls)
{
	struct http_form f;
	cr_assert_eq(form("a=%00", &f), FGW_ERR_PARSE);
	cr_assert_eq(form("a=x\ny", &f), FGW_ERR_PARSE);
	cr_assert_eq(form("=1", &f), FGW_ERR_PARSE);
}

Test(http_form, limits_fields_and_size)
{
	struct http_form f;
	char buf[1024] = "";
	for (int i = 0; i < HTTP_FORM_MAX_FIELDS + 1; i++)
		memcpy(buf + 4 * i, "a=1&", 4);
	cr_assert_eq(form(buf, &f), FGW_ERR_TOO_LARGE);
	static char big[HTTP_FORM_MAX_BYTES + 2];
	memset(big, 'a', sizeof big - 1);
	cr_assert_eq(form(big, &f), FGW_ERR_TOO_LARGE);
}

Test(http_cookie, finds_value_among_others)
{
	char v[80];
	cr_assert_eq(http_cookie_get("x=1; sid=abc; y=\"q\"", "sid", v, sizeof v), FGW_OK);
	cr_assert_str_eq(v, "abc");
	cr_assert_eq(http_cookie_get("x=1; y=\"q\"", "y", v, sizeof v), FGW_OK);
	cr_assert_str_eq(v, "q");
	cr_assert_eq(http_cookie_get("x=1", "sid", v, sizeof v), FGW_ERR_NOT_FOUND);
}

Test(http_cookie, refuses_malformed)
{
	char v[4];
	cr_assert_eq(http_cookie_get("garbage; sid=1", "sid", v, sizeof v), FGW_ERR_PARSE);
	cr_assert_eq(http_cookie_get("sid=a,b", "sid", v, sizeof v), FGW_ERR_PARSE);
	cr_assert_eq(http_cookie_get("sid=abcdef", "sid", v, sizeof v), FGW_ERR_TOO_LARGE);
}

static const char mp_body[] =
	"--XyZ\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\n0312345678\r\n"
	"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
	"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--XyZ--\r\n";

Test(http_multipart, splits_parts)
{
	char b[HTTP_BOUNDARY_MAX + 1];
	struct http_multipart m;
	cr_assert_eq(http_multipart_boundary("multipart/form-data; boundary=XyZ", b, sizeof b),
		     FGW_OK);
	cr_assert_eq(http_multipart_parse((const unsigned char *)mp_body, strlen(mp_body), b, &m),
		     FGW_OK);
	cr_assert_eq(m.count, 2);
	cr_assert_str_eq(m.parts[0].name, "to");
	cr_assert_eq(m.parts[0].len, 10);
	cr_assert_str_eq(m.parts[1].filename, "a.pdf");
	cr_assert_str_eq(m.parts[1].content_type, "application/pdf");
	cr_assert_eq(memcmp(m.parts[1].data, "%PDF-1.4", 8), 0);
}

Test(http_multipart, refuses_malformed)
{
	char b[HTTP_BOUNDARY_MAX + 1];
	struct http_multipart m;
	const char *no_close = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1";
	const char *no_name = "--XyZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XyZ--";
	cr_assert_eq(http_multipart_boundary("text/plain", b, sizeof b), FGW_ERR_UNSUPPORTED);
	cr_assert_eq(http_multipart_boundary("multipart/form-data", b, sizeof b), FGW_ERR_PARSE);
	cr_assert_eq(http_multipart_parse((const unsigned char *)no_close, strlen(no_close),
					  "XyZ", &m), FGW_ERR_PARSE);
	cr_assert_eq(http_multipart_parse((const unsigned char *)no_name, strlen(no_name),
					  "XyZ", &m), FGW_ERR_PARSE);
}
