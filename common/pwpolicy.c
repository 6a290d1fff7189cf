/* Password policy; the deny-list itself is generated (common/module.mk). */
#include "common/pwpolicy.h"

#include <string.h>
#include <strings.h>

#include "common/err.h"
#include "common/str.h"

bool pwpolicy_denied(const char *password)
{
	const char *p = (const char *)pwpolicy_denylist;
	size_t plen = strlen(password);

	while (*p) {
		size_t n = strcspn(p, "\n");
		size_t m = n;
		while (m > 0 && (p[m - 1] == '\r' || p[m - 1] == ' '))
			m--;
		if (p[0] != '#' && m == plen && strncasecmp(p, password, m) == 0)
			return true;
		p += n;
		if (*p == '\n')
			p++;
	}
	return false;
}

int pwpolicy_check(const char *user, const char *password, char *why, size_t why_size)
{
	const char *msg = NULL;
	size_t len = strnlen(password, PWPOLICY_MAX + 1);

	if (len < PWPOLICY_MIN)
		msg = "The password must have at least 8 characters.";
	else if (len > PWPOLICY_MAX)
		msg = "The password must have at most 256 characters.";
	else if (pwpolicy_denied(password))
		msg = "This password is on the list of common and factory-default "
		      "passwords; choose another one.";
	else if (user && strcasecmp(user, password) == 0)
		msg = "The password must not be the user name.";
	if (!msg)
		return FGW_OK;
	if (why && str_copy(why, why_size, msg) != FGW_OK && why_size)
		why[0] = '\0';
	return FGW_ERR_BAD_PASSWORD;
}
