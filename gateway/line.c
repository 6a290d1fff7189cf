/* The line verbs: dispatch to the back-end. */
#include <stdlib.h>

#include "common/err.h"
#include "gateway/line.h"

struct line {
	const struct line_ops *ops;
	void *impl;
};

struct line *line_new(const struct line_ops *ops, void *impl)
{
	struct line *l = calloc(1, sizeof *l);

	if (l == NULL)
		return NULL;
	l->ops = ops;
	l->impl = impl;
	return l;
}

void *line_impl(const struct line *l, const struct line_ops *ops)
{
	return l->ops == ops ? l->impl : NULL;
}

const char *line_name(const struct line *l)
{
	return l->ops->name != NULL ? l->ops->name : "line";
}

int line_send_audio(struct line *l, const int16_t *samples, size_t n)
{
	return l->ops->send_audio != NULL ? l->ops->send_audio(l->impl, samples, n)
					  : FGW_ERR_UNSUPPORTED;
}

size_t line_recv_audio(struct line *l, int16_t *samples, size_t max)
{
	return l->ops->recv_audio != NULL ? l->ops->recv_audio(l->impl, samples, max) : 0;
}

int line_send_t38(struct line *l, const uint8_t *ifp, size_t len, uint16_t seq, int count)
{
	return l->ops->send_t38 != NULL ? l->ops->send_t38(l->impl, ifp, len, seq, count)
					: FGW_ERR_UNSUPPORTED;
}

int line_recv_t38(struct line *l, uint8_t *buf, size_t max, size_t *len, uint16_t *seq)
{
	return l->ops->recv_t38 != NULL ? l->ops->recv_t38(l->impl, buf, max, len, seq) : 0;
}

void line_free(struct line *l)
{
	if (l == NULL)
		return;
	if (l->ops->free != NULL)
		l->ops->free(l->impl);
	free(l);
}
