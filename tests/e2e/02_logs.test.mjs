// The logs page (filter, CSV export, chain verification) and the
// dashboard, in Chromium against a fresh faxgwd that received one fax.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN, ADMIN_PW, Server, TESTDATA, browser, login, logout, screenshot, setupAdmin } from './lib.mjs';

const FAX = path.join(TESTDATA, 'tiff/asterisk-testsuite__udptl_1page.tif');
let srv, b, page;

before(async () => {
  assert.ok(fs.existsSync(FAX), `test data missing: ${FAX} (set FAXGW_TESTDATA)`);
  srv = await Server.create();
  await srv.start();
  // a fax from the trunk into the general inbox: transmission records
  srv.cli(['simulate', 'incoming', '--file', FAX, '--from', '0312345678']);
  b = await browser();
  page = b.page;
  await setupAdmin(page, srv.url);
  await page.waitForURL('**/dashboard');
  // two failed logins of someone else: security records to filter out
  await logout(page);
  for (const pw of ['guess-one-1', 'guess-two-2']) {
    await login(page, srv.url, 'mallory', pw);
    await page.locator('.msg.error').waitFor();
  }
  await login(page, srv.url, ADMIN, ADMIN_PW);
  await page.waitForURL('**/dashboard');
});

after(async () => {
  if (b) await b.close();
  if (srv) await srv.stop();
});

// The rows of the records table as arrays of cell texts (header skipped).
async function rows() {
  return page.locator('#records tr').evaluateAll((trs) =>
    trs.slice(1).map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
}

test('the dashboard shows the lines with their kind and channels', async () => {
  await page.goto(`${srv.url}/dashboard`);
  const lines = await page.locator('main table').first().evaluate((t) =>
    [...t.querySelectorAll('tr')].slice(1).map((tr) => [...tr.cells].map((c) => c.innerText.trim())));
  assert.deepEqual(lines.map((l) => l[0]), ['trunk', 'device'], JSON.stringify(lines));
  assert.deepEqual(lines.map((l) => l[2]), ['0 / 4', '0 / 1'], 'idle, channels as configured');
  assert.deepEqual(lines.map((l) => l[1]), ['simulation', 'simulation'], 'the default kinds');
  assert.ok(lines.every((l) => l.length === 4 && /^\d+ \/ \d+$/.test(l[2])), JSON.stringify(lines));
  await screenshot(page, 'dashboard');
});

test('the logs page lists the records, newest first', async () => {
  await page.click('nav a:has-text("Logs")');
  await page.waitForURL('**/logs');
  const all = await rows();
  const total = srv.auditRecords().length;
  assert.equal(all.length, Math.min(total, 50));
  const seqs = all.map((r) => Number(r[0]));
  assert.deepEqual(seqs, [...seqs].sort((x, y) => y - x));
  assert.match(await page.locator('main p.muted').innerText(), new RegExp(`^${total} matching`));
  await screenshot(page, 'logs');
});

test('filtering by type shows only that type, as many as the CLI finds', async () => {
  await page.goto(`${srv.url}/logs`);
  await page.fill('input[name=type]', 'login_failure');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/type=login_failure/);
  const shown = await rows();
  const cli = srv.auditRecords('login_failure');
  assert.equal(shown.length, 2);
  assert.equal(shown.length, cli.length);
  assert.ok(shown.every((r) => r[2] === 'login_failure'), JSON.stringify(shown));
  assert.ok(shown.every((r) => /user=mallory/.test(r[7]) && /source=127\.0\.0\.1/.test(r[7])));
  await screenshot(page, 'logs-filtered');
});

test('the CSV export downloads the header and the filtered rows', async () => {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  assert.equal(dl.suggestedFilename(), 'faxgw-audit.csv');
  const text = fs.readFileSync(await dl.path(), 'utf8');
  const lines = text.split('\r\n').filter((l) => l);
  assert.equal(lines[0], 'seq,time,type,direction,number,mailbox,result,details');
  const cli = srv.auditRecords('login_failure');
  assert.equal(lines.length - 1, cli.length);
  for (const [i, r] of cli.entries()) {
    assert.ok(lines[i + 1].startsWith(`"${r.seq}","`), `${lines[i + 1]} vs seq ${r.seq}`);
    assert.match(lines[i + 1], /"login_failure"/);
    assert.match(lines[i + 1], /user=mallory/);
  }
});

test('filtering by the caller number finds the received fax', async () => {
  await page.goto(`${srv.url}/logs`);
  await page.fill('input[name=number]', '0312345678');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/number=0312345678/);
  const shown = await rows();
  assert.ok(shown.length >= 1, 'no record of the received fax');
  assert.ok(shown.every((r) => r[4].includes('0312345678')), JSON.stringify(shown));
  assert.ok(shown.some((r) => r[3] === 'in'), JSON.stringify(shown));
});

test('the verify button says the chain is intact', async () => {
  await page.goto(`${srv.url}/logs`);
  await page.click('#verify');
  const res = page.locator('#verify-result');
  await res.waitFor();
  const total = srv.auditRecords().length;
  assert.match(await res.innerText(), /^The log verifies: \d+ records/);
  const n = Number(/verifies: (\d+)/.exec(await res.innerText())[1]);
  assert.ok(n >= total - 1 && n <= total, `verified ${n}, CLI shows ${total}`);
  assert.ok(await res.evaluate((e) => e.classList.contains('ok')));
  await screenshot(page, 'logs-verified');
  assert.equal(srv.cli(['log', 'verify']).status, 0);
  assert.match(await page.locator('header .who').innerText(), new RegExp(`^${ADMIN}`));
});
