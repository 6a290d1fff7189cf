/* Shared by the fax integration tests: run one sender and one receiver over
 * the loopback line, and compare TIFF documents page by page, pixel by
 * pixel. Linked into every test binary from libtestsupport.a. */
#ifndef FAXGW_TESTS_FAX_HARNESS_H
#define FAXGW_TESTS_FAX_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include "dsp/fax.h"
#include "gateway/line.h"

#define HARNESS_MAX_PAGES 16

/* One call to make. Zero values mean: audio, ECM on, all modems, clean
 * linear line, no F-code, a receiver that accepts. */
struct session_cfg {
	const char *file;             /* path of the TIFF to send */
	bool t38;
	bool ecm_off;
	unsigned modems;              /* 0: all */
	struct line_loopback_options line;  /* set by session_cfg_init */
	const char *sub, *sid, *pwd;
	bool no_decider;              /* receiver without a decision callback */
	bool precreate_out;           /* a file is at the output path already */
	enum fax_decision decision;   /* what the decider answers */
	unsigned max_seconds;         /* 0: 1800 s of line time */
};

/* What happened. */
struct session_out {
	int pump_rc;
	bool tx_done, rx_done;
	struct fax_result tx, rx;
	int rx_phase_b_count;         /* phase B events at the receiver */
	int decisions;                /* times the decider was asked */
	struct fax_phase_b rx_info;   /* what the receiver saw */
	struct fax_phase_b tx_info;   /* what the sender saw */
	int rx_pages, tx_pages;       /* page events */
	struct fax_page rx_page[HARNESS_MAX_PAGES];
	int rx_done_events, tx_done_events;
	char dir[64];                 /* temp dir (removed by session_cleanup) */
	char out_path[128];           /* received TIFF inside dir */
	bool out_exists;              /* after the call */
	double line_seconds;
	struct line_loopback_stats sent_by_tx, sent_by_rx;  /* line counters */
};

/* Returns $FAXGW_TESTDATA/rel in a static buffer that the next call
 * overwrites; fails the test if the variable is unset or the file is
 * missing. */
const char *testdata(const char *rel);

void session_cfg_init(struct session_cfg *c, const char *file);

/* Runs the call; fails the test on set-up errors. Leaves the received file
 * (if any) in out->dir until session_cleanup. */
void session_run(const struct session_cfg *c, struct session_out *out);

/* Removes out->dir and what is in it. */
void session_cleanup(struct session_out *out);

/* Compares every page of TIFF a with TIFF b: same page count, sizes and
 * rows (black/white after photometric). Returns 0 when equal, else -1 with
 * msg saying where they differ. */
int tiff_compare(const char *a, const char *b, char *msg, size_t msgsize);

/* Counts the pages of a TIFF; -1 if it cannot be opened. */
int tiff_pages(const char *path);

/* Makes a fresh temp dir in dir (64 bytes); fails the test on error. */
void make_temp_dir(char dir[static 64]);

/* Removes every file in dir and dir itself. */
void remove_temp_dir(const char *dir);

#endif
