/* Simulated lines over the loopback. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/str.h"
#include "gateway/config.h"
#include "gateway/line.h"
#include "gateway/simline.h"

#define SIMLINE_CHANNELS_MAX 64
#define SIMLINE_LINES 2

struct simline_channel {
	struct simline *line;
	unsigned index;              /* 1-based, for labels */
	struct line *local, *far;
	char label[64];
};

struct simline {
	const char *name;
	unsigned channels;           /* configured */
	bool busy[SIMLINE_CHANNELS_MAX];
};

struct simline_set {
	struct simline lines[SIMLINE_LINES];
};

static unsigned channels_of(const struct config *cfg, const char *key)
{
	long long n = config_int(cfg, "lines", key);

	return n < 1 ? 1 : n > SIMLINE_CHANNELS_MAX ? SIMLINE_CHANNELS_MAX : (unsigned)n;
}

void simline_set_configure(struct simline_set *s, const struct config *cfg)
{
	s->lines[0].channels = channels_of(cfg, "trunk_channels");
	s->lines[1].channels = channels_of(cfg, "device_channels");
}

int simline_set_new(const struct config *cfg, struct simline_set **out)
{
	struct simline_set *s = calloc(1, sizeof *s);

	*out = NULL;
	if (s == NULL)
		return FGW_ERR_NOMEM;
	s->lines[0].name = SIMLINE_TRUNK;
	s->lines[1].name = SIMLINE_DEVICE;
	simline_set_configure(s, cfg);
	*out = s;
	return 0;
}

void simline_set_free(struct simline_set *s)
{
	free(s);
}

static struct simline *find(struct simline_set *s, const char *name)
{
	for (size_t i = 0; i < SIMLINE_LINES; i++)
		if (strcmp(s->lines[i].name, name) == 0)
			return &s->lines[i];
	return NULL;
}

static int free_slot(const struct simline *l)
{
	for (unsigned i = 0; i < l->channels; i++)
		if (!l->busy[i])
			return (int)i;
	return -1;
}

/* A simulated line sounds like a clean digital trunk: u-law, no loss. */
static int make_pair(struct simline_channel *ch)
{
	struct line_loopback_options o;

	line_loopback_options_init(&o);
	o.companding = true;
	o.law = DSP_G711_ULAW;
	o.seed = ch->index;
	return line_loopback_new(&o, &ch->local, &ch->far);
}

int simline_acquire(struct simline_set *s, const char *name, struct simline_channel **out)
{
	struct simline *l = find(s, name);
	struct simline_channel *ch;
	int slot, rc;

	*out = NULL;
	if (l == NULL)
		return FGW_ERR_NOT_FOUND;
	if ((slot = free_slot(l)) < 0)
		return FGW_ERR_BUSY;
	if ((ch = calloc(1, sizeof *ch)) == NULL)
		return FGW_ERR_NOMEM;
	ch->line = l;
	ch->index = (unsigned)slot + 1;
	(void)str_format(ch->label, sizeof ch->label, "%s/%u (simulation)", l->name, ch->index);
	if ((rc = make_pair(ch)) != 0) {
		free(ch);
		return rc;
	}
	l->busy[slot] = true;
	*out = ch;
	return 0;
}

struct line *simline_local(struct simline_channel *ch) { return ch->local; }
struct line *simline_far(struct simline_channel *ch) { return ch->far; }
const char *simline_label(const struct simline_channel *ch) { return ch->label; }
const char *simline_name(const struct simline_channel *ch) { return ch->line->name; }

void simline_release(struct simline_channel *ch)
{
	if (ch == NULL)
		return;
	ch->line->busy[ch->index - 1] = false;
	line_free(ch->local);
	line_free(ch->far);
	free(ch);
}

void simline_list(const struct simline_set *s, simline_visit_fn *fn, void *arg)
{
	for (size_t i = 0; i < SIMLINE_LINES; i++) {
		const struct simline *l = &s->lines[i];
		unsigned busy = 0;
		for (unsigned k = 0; k < SIMLINE_CHANNELS_MAX; k++)
			busy += l->busy[k];
		fn(arg, l->name, "simulation", busy, l->channels);
	}
}
