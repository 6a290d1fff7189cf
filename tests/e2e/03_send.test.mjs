// The Send page's double entry and preview, and the Jobs page, in Chromium
// against a fresh faxgwd: two different numbers are refused with the
// message and nothing is queued; equal numbers show the page previews and,
// once confirmed, the job is on /jobs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Server, TESTDATA, browser, screenshot, setupAdmin } from './lib.mjs';

const DOC = path.join(TESTDATA, 'tiff/asterisk-testsuite__udptl_1page.tif');
const NUMBER = '0312345678';
let srv, b, page;

before(async () => {
  assert.ok(fs.existsSync(DOC), `test data missing: ${DOC} (set FAXGW_TESTDATA)`);
  srv = await Server.create();
  await srv.start();
  b = await browser();
  page = b.page;
  await setupAdmin(page, srv.url);
  await page.waitForURL('**/dashboard');
});

after(async () => {
  if (b) await b.close();
  if (srv) await srv.stop();
});

const jobs = () => JSON.parse(srv.cli(['jobs', '--json']).stdout || '[]');

// Fills the send form: the file chosen, the number typed key by key in
// both fields (the second one refuses paste).
async function fillSend(first, again) {
  await page.click('nav a:has-text("Send")');
  await page.waitForURL('**/send');
  await page.setInputFiles('input[name=file]', DOC);
  await page.locator('input[name=to]').pressSequentially(first);
  await page.locator('#confirm').pressSequentially(again);
  await page.click('main form button[type=submit]:has-text("Check and preview")');
}

test('two different numbers are refused with the message, nothing is queued', async () => {
  await fillSend(NUMBER, '0312345679');
  const msg = page.locator('main .msg.error');
  await msg.waitFor();
  const text = await msg.innerText();
  assert.match(text, /The two numbers differ/);
  assert.match(text, /part at digit 10/);
  assert.match(text, /Nothing was stored/);
  assert.equal(await page.locator('#confirm').inputValue(), '', 'the second field is never pre-filled');
  assert.equal(await page.locator('img.page').count(), 0, 'no preview for a refused pair');
  await screenshot(page, 'send-mismatch');
  assert.deepEqual(jobs(), []);
  await page.click('nav a:has-text("Jobs")');
  await page.waitForURL('**/jobs');
  assert.equal(await page.locator('main table tr').count(), 1, 'only the header row');
  assert.equal(srv.auditRecords('dial_mismatch').length, 1);
});

test('pasting into the second number field does nothing', async () => {
  await page.click('nav a:has-text("Send")');
  await page.waitForURL('**/send');
  await page.locator('input[name=to]').fill(NUMBER);
  // a paste event as the browser fires it from the clipboard
  const accepted = await page.locator('#confirm').evaluate((el, v) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', v);
    const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
    return el.dispatchEvent(ev);
  }, NUMBER);
  assert.equal(accepted, false, 'send.js cancels paste');
  assert.equal(await page.locator('#confirm').inputValue(), '');
});

test('equal numbers show the page preview; confirming queues the job shown on /jobs', async () => {
  await fillSend(NUMBER, NUMBER);
  const imgs = page.locator('img.page');
  await imgs.first().waitFor();
  assert.equal(await imgs.count(), 1, 'one page in the document');
  await page.waitForFunction(() => [...document.querySelectorAll('img.page')].every((i) => i.complete));
  const widths = await imgs.evaluateAll((l) => l.map((i) => i.naturalWidth));
  assert.ok(widths.every((w) => w > 0), `previews not rendered: ${widths}`);
  assert.match(await page.locator('main').innerText(), new RegExp(`will be sent to\\s+${NUMBER}`));
  await screenshot(page, 'send-preview');
  assert.deepEqual(jobs(), [], 'nothing is queued before the confirmation');

  await page.click('button:has-text("Confirm and send")');
  const ok = page.locator('main .msg.ok');
  await ok.waitFor();
  const id = await ok.locator('strong').first().innerText();
  assert.match(await ok.innerText(), /^Queued as job /);
  await page.click('a:has-text("See the jobs")');
  await page.waitForURL('**/jobs');
  const row = page.locator('main table tr', { hasText: id });
  assert.equal(await row.count(), 1, `job ${id} not on /jobs`);
  await screenshot(page, 'jobs');
  const q = jobs();
  assert.equal(q.length, 1, JSON.stringify(q));
  assert.equal(JSON.stringify(q).includes(id), true, JSON.stringify(q));
  assert.ok(JSON.stringify(q).includes(NUMBER), JSON.stringify(q));
});
