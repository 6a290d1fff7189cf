// The admin pages for mailboxes, devices and dial rules, in Chromium
// against a fresh faxgwd: a mailbox created in the browser is there for the
// CLI too; a device's policy edited (a bad prefix list refused naming the
// field); a number tested against the dial rules and that device's policy.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Server, browser, screenshot, setupAdmin } from './lib.mjs';

let srv, b, page;

before(async () => {
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

// The cells of the first table in main, header skipped.
async function rows() {
  return page.locator('main table').first().evaluate((t) =>
    [...t.querySelectorAll('tbody tr')].map((tr) => [...tr.cells].map((c) => c.innerText.trim())));
}

test('a mailbox created on the admin page is sealed, listed and audited', async () => {
  await page.click('nav a:has-text("Mailbox admin")');
  await page.waitForURL('**/admin/mailboxes');
  await page.fill('#number', '4321');
  await page.fill('#name', 'Legal <dept>');
  await page.fill('#retention', '7');
  await page.fill('#password', 'pw12');
  await page.fill('#newpin', '246810');
  await page.fill('#newpin2', '246810');
  await page.click('button:has-text("Create mailbox")');
  await page.locator('.msg.ok').waitFor();
  assert.match(await page.locator('.msg.ok').innerText(), /Mailbox created/);
  const row = (await rows()).find((r) => r[0] === '4321');
  assert.ok(row, JSON.stringify(await rows()));
  assert.deepEqual(row.slice(0, 7), ['4321', 'Legal <dept>', '-', '0', '7 days', 'set', 'no']);
  // the manage forms of the new mailbox say what a reset without the PIN costs
  assert.match(await page.locator('#manage').innerText(), /cannot be\s+recovered by anyone/);
  await screenshot(page, 'admin-mailboxes');

  const list = JSON.parse(srv.cli(['mailbox', 'list', '--json']).stdout);
  assert.deepEqual(list, [{ number: '4321', name: 'Legal <dept>', owner: '', held: 0,
    password: true, locked: false, retention_days: 7 }]);
  const rec = srv.auditRecords('config_change').map((r) => r.fields)
    .find((f) => f.action === 'mailbox_create');
  assert.ok(rec, 'config_change record');
  assert.equal(rec.mailbox, '4321');
  assert.equal(rec.user, 'admin');
  assert.equal(rec.source, '127.0.0.1');
  assert.ok(!JSON.stringify(srv.auditRecords()).includes('246810'), 'no PIN in the log');
});

test('a device edited on the admin page: a bad list is refused by name, a good one stored', async () => {
  srv.cli(['device', 'set', 'mfp-3f', '--kind', 'mfp']);
  await page.click('nav a:has-text("Devices")');
  await page.waitForURL('**/admin/devices');
  await page.click('main table a[href*="device=mfp-3f"]');
  await page.waitForURL(/device=mfp-3f/);
  assert.equal(await page.locator('#edit h2').innerText(), 'Device mfp-3f');
  await page.selectOption('#double_entry', 'no');
  await page.selectOption('#international', 'yes');
  await page.selectOption('select[name=allow_mode]', 'list');
  await page.fill('#allow', '0120, 05x0');
  await page.click('button:has-text("Save device")');
  await page.locator('.msg.error').waitFor();
  assert.match(await page.locator('.msg.error').innerText(), /^Allowed prefixes: .*Nothing was changed/);
  let dev = JSON.parse(srv.cli(['device', 'list', '--json']).stdout)[0];
  assert.equal(dev.allow_prefixes, null, 'nothing stored');

  await page.goto(`${srv.url}/admin/devices?device=mfp-3f`);
  await page.selectOption('#double_entry', 'no');
  await page.selectOption('#international', 'yes');
  await page.selectOption('select[name=allow_mode]', 'list');
  await page.fill('#allow', '0120, 0570');
  await page.click('button:has-text("Save device")');
  await page.locator('.msg.ok').waitFor();
  assert.match(await page.locator('.msg.ok').innerText(), /Device saved/);
  const row = (await rows()).find((r) => r[0] === 'mfp-3f');
  assert.deepEqual(row.slice(0, 5), ['mfp-3f', 'mfp', 'no', 'yes', '0120,0570']);
  await screenshot(page, 'admin-devices');

  dev = JSON.parse(srv.cli(['device', 'list', '--json']).stdout)[0];
  assert.equal(dev.name, 'mfp-3f');
  assert.equal(dev.double_entry, false);
  assert.equal(dev.international, true);
  assert.deepEqual(dev.allow_prefixes, ['0120', '0570']);
  assert.equal(dev.deny_prefixes, null);
  const rec = srv.auditRecords('config_change').map((r) => r.fields)
    .filter((f) => f.action === 'device_set');
  assert.equal(rec.length, 1, 'the CLI create is device_create, the web save device_set');
  assert.equal(rec[0].user, 'admin');
  assert.match(rec[0].detail, /allow_prefixes=0120,0570/);
});

test('testing a number shows the decision of the dial rules and the device policy', async () => {
  await page.click('nav a:has-text("Dial rules")');
  await page.waitForURL('**/admin/dialrules');
  assert.match(await page.locator('main pre').innerText(), /\[dialing\] international_allow = no/);
  assert.equal(await page.locator('main form[method=post]').count(), 0, 'read-only');

  await page.fill('input[name=number]', '+44 20 7946 0000');
  await page.selectOption('select[name=device]', '');
  await page.click('button:has-text("Test")');
  await page.waitForURL(/number=/);
  assert.match(await page.locator('#test .msg').innerText(), /^Refused by the rule "international"/);

  // the device may call abroad, but its allow list has no 010 prefix
  await page.selectOption('select[name=device]', 'mfp-3f');
  await page.click('button:has-text("Test")');
  await page.waitForURL(/device=mfp-3f/);
  assert.match(await page.locator('#test .msg').innerText(), /^Refused by the rule "allow_prefixes"/);

  await page.fill('input[name=number]', '0120-123-456');
  await page.click('button:has-text("Test")');
  await page.waitForURL(/number=0120/);
  assert.match(await page.locator('#test .msg').innerText(), /^Allowed: /);
  const facts = await page.locator('#test table').innerText();
  assert.match(facts, /National form \(for prefixes\)\s+0120123456/);
  assert.match(facts, /Double entry\s+no/);
  assert.match(facts, /Allowed prefixes\s+0120, 0570/);
  await screenshot(page, 'admin-dialrules');
});
