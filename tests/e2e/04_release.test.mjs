// Release of a confidential fax in Chromium: a SpanDSP far end sends the
// ITU test document with an F-code into a mailbox whose owner is a web
// user the admin created on the Users page; the owner logs in, enters the
// mailbox PIN, sees the page previews and downloads the TIFF, which holds
// the same pages as the document sent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BUILD, Server, TESTDATA, browser, login, logout, screenshot,
  setupAdmin } from './lib.mjs';

const FAX = path.join(TESTDATA, 'itu/itutests_mmr.tif');
const TIFFSAME = process.env.FAXGW_E2E_TIFFSAME || path.join(BUILD, 'e2e/tiffsame');
const MAILBOX = '4321';
const PIN = '258046';
const FPASS = 'Board-F-pass';
const OWNER = 'olivia';
const OWNER_PW = 'Quiet-Harbour-Lamps-7';
const OWNER_PW2 = 'Bright-Cedar-Rivers-9';
let srv, b, page;

before(async () => {
  assert.ok(fs.existsSync(FAX), `test data missing: ${FAX} (set FAXGW_TESTDATA)`);
  assert.ok(fs.existsSync(TIFFSAME), `${TIFFSAME} missing (mk/e2e.sh builds it)`);
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

function pageCount(file) {
  return Number(execFileSync('tiffinfo', [file], { encoding: 'utf8' })
    .split('\n').filter((l) => l.startsWith('TIFF Directory')).length);
}

test('the admin creates the mailbox owner on the Users page', async () => {
  await page.click('nav a:has-text("Users")');
  await page.waitForURL('**/admin/users');
  await page.fill('#user', OWNER);
  await page.selectOption('#role', 'owner');
  await page.fill('#password', OWNER_PW);
  await page.fill('#password2', OWNER_PW);
  await page.click('button:has-text("Create user")');
  const row = page.locator('main table tr', { hasText: OWNER });
  await row.waitFor();
  assert.match(await row.innerText(), /owner/);
  await screenshot(page, 'admin-users');
  await logout(page);
  await page.waitForURL('**/login');
});

test('a fax with the mailbox F-code from a SpanDSP far end is held there', async () => {
  srv.cli(['mailbox', 'create', MAILBOX, '--name', 'Board', '--owner', OWNER, '--pin-stdin',
    '--password-stdin'], { input: `${PIN}\n${FPASS}\n`, config: true });
  const r = srv.cli(['simulate', 'incoming', '--file', FAX, '--sub', MAILBOX, '--sid', FPASS,
    '--from', '0398765432']);
  assert.match(r.stdout + r.stderr, /ok|success/i, r.stdout + r.stderr);
  const list = JSON.parse(srv.cli(['mailbox', 'list', '--json']).stdout);
  const mb = list.find((m) => m.number === MAILBOX);
  assert.ok(mb, JSON.stringify(list));
  assert.equal(mb.held, 1, JSON.stringify(mb));
});

test('the owner logs in (choosing a new password if asked) and sees the mailbox', async () => {
  await login(page, srv.url, OWNER, OWNER_PW);
  await page.waitForLoadState();
  // an account made by an admin must choose its own password first, where
  // the interface asks for it
  if (await page.locator('input[type=password]').count() >= 2 &&
      !/\/dashboard$/.test(page.url())) {
    await screenshot(page, 'owner-new-password');
    const fields = page.locator('main input[type=password]');
    const n = await fields.count();
    if (n === 3) await fields.nth(0).fill(OWNER_PW);
    await fields.nth(n - 2).fill(OWNER_PW2);
    await fields.nth(n - 1).fill(OWNER_PW2);
    await page.click('main button[type=submit]');
  }
  await page.waitForURL('**/dashboard');
  assert.match(await page.locator('header .who').innerText(), new RegExp(`^${OWNER} \\(owner\\)`));
  const nav = await page.locator('header nav a').allInnerTexts();
  assert.ok(nav.includes('Mailboxes'), nav.join());
  assert.ok(!nav.includes('Logs') && !nav.includes('Users') && !nav.includes('Send'), nav.join());
  await page.click('nav a:has-text("Mailboxes")');
  await page.waitForURL('**/mailboxes');
  await page.click(`main a:has-text("${MAILBOX}")`);
  await page.locator('#pin').waitFor();
  await screenshot(page, 'mailbox-pin');
});

test('a wrong PIN is refused; the right one shows the previews of every page', async () => {
  await page.fill('#pin', '000000');
  await page.click('button:has-text("Unlock")');
  await page.locator('main .msg.error').waitFor();
  assert.equal(await page.locator('img[alt^="page"]').count(), 0);

  await page.fill('#pin', PIN);
  await page.click('button:has-text("Unlock")');
  const imgs = page.locator('article.fax img');
  await imgs.first().waitFor();
  const pages = pageCount(FAX);
  assert.equal(await imgs.count(), pages);
  await page.waitForFunction(() => [...document.querySelectorAll('article.fax img')]
    .every((i) => i.complete), null, { timeout: 60000 });
  const widths = await imgs.evaluateAll((l) => l.map((i) => i.naturalWidth));
  assert.ok(widths.every((w) => w > 0), `previews not rendered: ${widths}`);
  await screenshot(page, 'mailbox-unlocked');
});

test('Download TIFF gives the pages the far end sent; the fax is then erased', async () => {
  const form = page.locator('article.fax form', { hasText: 'Download TIFF' });
  const [dl] = await Promise.all([page.waitForEvent('download'),
    form.locator('button').click()]);
  const file = path.join(srv.dir, 'released.tif');
  await dl.saveAs(file);
  assert.equal(pageCount(file), pageCount(FAX));
  try {
    execFileSync(TIFFSAME, [FAX, file], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`the downloaded TIFF differs from the one sent: ${e.stderr}`);
  }
  // erase after download was ticked (the default)
  await page.reload();
  await page.locator('main').waitFor();
  const list = JSON.parse(srv.cli(['mailbox', 'list', '--json']).stdout);
  assert.equal(list.find((m) => m.number === MAILBOX).held, 0, JSON.stringify(list));
  const released = srv.auditRecords('mailbox_release').filter((r) => r.fields.action === 'tiff');
  assert.equal(released.length, 1, JSON.stringify(released));
  assert.equal(released[0].fields.mailbox, MAILBOX);
  assert.equal(released[0].fields.disposal, 'erased');
});
