/* F-code (T.30 SUB/SID/PWD), the receiver's decision, and bad input to the
 * sender. Real SpanDSP on both ends, over the loopback line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tiffio.h>

#include "common/err.h"
#include "common/str.h"
#include <fcntl.h>
#include <spandsp.h>

#include "tests/support/fax_harness.h"

#define ONE_PAGE "tiff/asterisk-testsuite__udptl_1page.tif"

static void fcode_call(struct session_cfg *c, bool t38, enum fax_decision d)
{
	session_cfg_init(c, testdata(ONE_PAGE));
	c->t38 = t38;
	c->sub = "0123";
	c->sid = "pass-4567";
	c->pwd = "secret";
	c->decision = d;
}

static void expect_fcode_arrives(bool t38)
{
	struct session_cfg c;
	struct session_out out;

	fcode_call(&c, t38, FAX_ACCEPT);
	session_run(&c, &out);
	session_cleanup(&out);
	cr_assert_eq(out.rx.err, 0, "receiver: %s", out.rx.t30_text);
	cr_expect_eq(out.tx.err, 0, "sender: %s", out.tx.t30_text);
	cr_expect_eq(out.rx_phase_b_count, 1);
	cr_expect_eq(out.decisions, 1);
	cr_expect_str_eq(out.rx_info.sub, "0123");
	cr_expect_str_eq(out.rx_info.sid, "pass-4567");
	cr_expect_str_eq(out.rx_info.remote_ident, "+81 3 1111 2222");
	/* SpanDSP 0.0.6 sends PWD only with DTC (polling), never after DIS;
	 * see dsp/fax.h. A SpanDSP sender's PWD therefore never arrives. */
	cr_expect_str_eq(out.rx_info.pwd, "");
	cr_expect_eq(out.rx.stats.pages_rx, 1);
}

Test(fax_fcode, sub_and_sid_arrive_intact_audio) { expect_fcode_arrives(false); }
Test(fax_fcode, sub_and_sid_arrive_intact_t38) { expect_fcode_arrives(true); }

Test(fax_fcode, no_fcode_gives_empty_fields)
{
	struct session_cfg c;
	struct session_out out;

	session_cfg_init(&c, testdata(ONE_PAGE));
	session_run(&c, &out);
	session_cleanup(&out);
	cr_assert_eq(out.rx.err, 0);
	cr_expect_str_eq(out.rx_info.sub, "");
	cr_expect_str_eq(out.rx_info.sid, "");
	cr_expect_str_eq(out.rx_info.pwd, "");
}

static void expect_rejected(bool t38, enum fax_decision d, int t30_code)
{
	struct session_cfg c;
	struct session_out out;

	fcode_call(&c, t38, d);
	session_run(&c, &out);
	session_cleanup(&out);
	cr_assert_eq(out.pump_rc, 0, "call did not end");
	cr_expect_eq(out.decisions, 1);
	cr_expect_eq(out.rx.err, FGW_ERR_FAX_REJECTED);
	cr_expect_eq(out.rx.t30_code, t30_code, "receiver: %s", out.rx.t30_text);
	/* T.30 gives the sender no reason, only DCN after its DCS. Over T.38
	 * it hears the DCN (bad response to DCS); over audio it is still
	 * sending TCF while the DCN goes by, so it hears nothing (no response
	 * to DCS or TCF). Either way the sender fails, not hangs. */
	cr_expect_eq(out.tx.err, FGW_ERR_FAX_FAILED);
	cr_expect(out.tx.t30_code == T30_ERR_TX_BADDCS || out.tx.t30_code == T30_ERR_TX_PHBDEAD,
		  "sender: %s", out.tx.t30_text);
	cr_log_info("rejected after %.0f s of line time", out.line_seconds);
	cr_expect_eq(out.rx.stats.pages_rx, 0);
	cr_expect_eq(out.tx.stats.pages_tx, 0);
	cr_expect_eq(out.rx_pages, 0);
	cr_expect_not(out.out_exists, "a rejected call left %s behind", out.out_path);
}

Test(fax_fcode, reject_sub_audio)
{
	expect_rejected(false, FAX_REJECT_SUB, T30_ERR_SUB_UNACCEPTABLE);
}
Test(fax_fcode, reject_pwd_audio)
{
	expect_rejected(false, FAX_REJECT_PWD, T30_ERR_PWD_UNACCEPTABLE);
}
Test(fax_fcode, reject_sid_t38)
{
	expect_rejected(true, FAX_REJECT_SID, T30_ERR_SID_UNACCEPTABLE);
}
Test(fax_fcode, reject_sub_t38)
{
	expect_rejected(true, FAX_REJECT_SUB, T30_ERR_SUB_UNACCEPTABLE);
}

Test(fax_fcode, receiver_without_decider_holds_nothing)
{
	struct session_cfg c;
	struct session_out out;

	fcode_call(&c, false, FAX_ACCEPT);
	c.no_decider = true;
	session_run(&c, &out);
	session_cleanup(&out);
	cr_assert_eq(out.pump_rc, 0);
	cr_expect_eq(out.rx.err, FGW_ERR_FAX_REJECTED);
	cr_expect_eq(out.rx.t30_code, T30_ERR_SUB_UNACCEPTABLE);
	cr_expect_eq(out.rx.stats.pages_rx, 0);
	cr_expect_not(out.out_exists);
}

Test(fax_fcode, rejection_keeps_a_file_that_was_there)
{
	struct session_cfg c;
	struct session_out out;

	/* The receiver only removes what it would have created. */
	fcode_call(&c, false, FAX_REJECT_SUB);
	c.precreate_out = true;
	session_run(&c, &out);
	session_cleanup(&out);
	cr_expect_eq(out.rx.err, FGW_ERR_FAX_REJECTED);
	cr_expect(out.out_exists);
}

/* ---- sender input ---------------------------------------------------- */

static int new_sender(const char *path)
{
	struct fax_options o;
	struct fax_endpoint *ep = NULL;

	fax_options_init(&o);
	o.file = path;
	int rc = fax_endpoint_new(&o, &ep);
	fax_endpoint_free(ep);
	return rc;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, data, len), (ssize_t)len);
	cr_assert_eq(close(fd), 0);
}

Test(fax_input, missing_file_is_not_found)
{
	cr_expect_eq(new_sender("/nonexistent/faxgw/none.tif"), FGW_ERR_NOT_FOUND);
}

Test(fax_input, text_file_is_not_a_tiff)
{
	char dir[64], path[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(path, sizeof path, "%s/note.tif", dir), 0);
	write_file(path, "this is not a TIFF\n", 19);
	int rc = new_sender(path);
	remove_temp_dir(dir);
	cr_expect_eq(rc, FGW_ERR_TIFF);
}

Test(fax_input, empty_file_is_not_a_tiff)
{
	char dir[64], path[128];

	make_temp_dir(dir);
	cr_assert_eq(str_format(path, sizeof path, "%s/empty.tif", dir), 0);
	write_file(path, "", 0);
	int rc = new_sender(path);
	remove_temp_dir(dir);
	cr_expect_eq(rc, FGW_ERR_TIFF);
}

Test(fax_input, directory_is_refused)
{
	char dir[64];

	make_temp_dir(dir);
	int rc = new_sender(dir);
	remove_temp_dir(dir);
	cr_expect_eq(rc, FGW_ERR_TIFF);
}

/* Cuts a real fax TIFF at several points; each must be refused cleanly. */
Test(fax_input, truncated_tiff_is_refused)
{
	char dir[64], path[128];
	static uint8_t buf[80000];
	const char *src = testdata(ONE_PAGE);
	int fd = open(src, O_RDONLY);

	cr_assert_geq(fd, 0);
	ssize_t n = read(fd, buf, sizeof buf);
	cr_assert_eq(close(fd), 0);
	cr_assert_gt(n, 1000);
	make_temp_dir(dir);
	cr_assert_eq(str_format(path, sizeof path, "%s/cut.tif", dir), 0);
	const size_t cuts[] = {8, 100, (size_t)n / 2, (size_t)n - 1};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		write_file(path, buf, cuts[i]);
		int rc = new_sender(path);
		cr_expect(rc == FGW_ERR_TIFF || rc == FGW_ERR_TRUNCATED,
			  "cut at %zu bytes: %s", cuts[i], fgw_errname(rc));
	}
	remove_temp_dir(dir);
}

Test(fax_input, overlong_identity_is_refused)
{
	struct fax_options o;
	struct fax_endpoint *ep = NULL;

	fax_options_init(&o);
	o.file = testdata(ONE_PAGE);
	o.sub = "012345678901234567890";   /* 21 characters */
	cr_expect_eq(fax_endpoint_new(&o, &ep), FGW_ERR_INVALID);
	cr_expect_null(ep);
}

Test(fax_input, t38_without_output_is_refused)
{
	struct fax_options o;
	struct fax_endpoint *ep = NULL;

	fax_options_init(&o);
	o.file = testdata(ONE_PAGE);
	o.transport = FAX_T38;
	cr_expect_eq(fax_endpoint_new(&o, &ep), FGW_ERR_INVALID);
}
