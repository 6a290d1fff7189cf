// The factory reset from the web page, in Chromium against a fresh faxgwd
// holding a fax: a wrong phrase and a wrong password are refused and
// recorded; the confirmed reset stops the daemon, wipes its data
// directory, and the same process comes back on a new, empty device
// (first-run setup); the next admin sees the signed certificate, downloads
// it with its public key, and `faxgw cert verify` accepts it.
// Runs last of the browser tests: it erases its own daemon's data.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ADMIN_PW, BUILD, Server, TESTDATA, browser, screenshot, setupAdmin } from './lib.mjs';

const FAX = path.join(TESTDATA, 'tiff/asterisk-testsuite__udptl_1page.tif');
const PHRASE = 'ERASE ALL DATA';
let srv, b, page, downloads;

before(async () => {
  assert.ok(fs.existsSync(FAX), `test data missing: ${FAX} (set FAXGW_TESTDATA)`);
  srv = await Server.create();
  await srv.start();
  srv.cli(['simulate', 'incoming', '--file', FAX, '--from', '0312345678']);
  downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'faxgw-we2e-wipe-'));
  b = await browser();
  page = b.page;
  await setupAdmin(page, srv.url);
  await page.waitForURL('**/dashboard');
});

after(async () => {
  if (b) await b.close();
  if (srv) await srv.stop();
  if (downloads) fs.rmSync(downloads, { recursive: true, force: true });
});

async function confirm(phrase, password) {
  await page.goto(`${srv.url}/admin/wipe`);
  await page.fill('#phrase', phrase);
  await page.fill('#password', password);
  await page.click('form[action="/admin/wipe"] button[type=submit]');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function answers(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

function vaultFiles() {
  const v = path.join(srv.data, 'vault');
  return fs.existsSync(v) ? fs.readdirSync(v, { recursive: true }) : [];
}

test('a wrong phrase is refused with a message and recorded', async () => {
  await confirm('erase all data', ADMIN_PW);
  const msg = await page.locator('.msg.error[role=alert]').innerText();
  assert.match(msg, /Nothing was erased: type the phrase ERASE ALL DATA/);
  await screenshot(page, 'wipe-refused');
  const recs = srv.auditRecords('security').filter((r) => /wrong confirmation phrase/.test(JSON.stringify(r)));
  assert.equal(recs.length, 1);
  assert.ok(fs.existsSync(path.join(srv.data, 'master.key')));
});

test('a wrong password is refused with a message and recorded', async () => {
  await confirm(PHRASE, 'Not-The-Password-9');
  assert.match(await page.locator('.msg.error[role=alert]').innerText(), /not your password/);
  const recs = srv.auditRecords('security').filter((r) => /wrong password/.test(JSON.stringify(r)));
  assert.equal(recs.length, 1);
  assert.ok(fs.existsSync(path.join(srv.data, 'master.key')));
});

test('the confirmed reset wipes and the daemon comes back empty', async () => {
  const oldPub = fs.readFileSync(path.join(srv.data, 'signing.pub.pem'), 'utf8');
  const oldVault = vaultFiles().filter((f) => !f.endsWith('/'));
  assert.ok(oldVault.length > 0, 'the fax is in the vault');
  const pid = srv.proc.pid;
  await confirm(PHRASE, ADMIN_PW);
  await page.locator('#reset-started').waitFor();
  await screenshot(page, 'wipe-started');
  // the daemon stops (port closed), wipes, and the same process serves again
  const log = () => fs.readFileSync(srv.log, 'utf8');
  for (let i = 0; i < 600 && !/factory reset done/.test(log()); i++) {
    assert.equal(srv.proc.exitCode, null, `faxgwd exited:\n${log()}`);
    await sleep(50);
  }
  assert.match(log(), /factory reset done/);
  for (let i = 0; i < 300 && !(await answers(srv.port)); i++) await sleep(50);
  assert.equal(srv.proc.pid, pid);
  assert.equal(srv.proc.exitCode, null);
  assert.notEqual(fs.readFileSync(path.join(srv.data, 'signing.pub.pem'), 'utf8'), oldPub,
    'new keys');
  for (const f of oldVault) assert.ok(!fs.existsSync(path.join(srv.data, 'vault', f)), f);
  // the new device's audit log starts with the reset, none of the old records
  const recs = srv.auditRecords();
  assert.ok(!recs.some((r) => r.type === 'fax_received' || r.type === 'login'), JSON.stringify(recs));
  assert.equal(recs.filter((r) => r.type === 'wipe').length, 1);
  // first-run state: the setup page, as on a new appliance
  await setupAdmin(page, srv.url);
  await page.waitForURL('**/dashboard');
});

test('the next admin sees the certificate, downloads it, and it verifies', async () => {
  await page.goto(`${srv.url}/admin/wipe`);
  const state = await page.locator('#cert-state').innerText();
  assert.match(state, /signature valid/);
  const table = await page.locator('#certificate').innerText();
  assert.match(table, /Scope\s+device/);
  assert.match(table, /Documents erased\s+1/);
  assert.match(table, /Verification key \(SHA-256\)\s+[0-9a-f]{64}/);
  await screenshot(page, 'wipe-certificate');
  const save = async (text) => {
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.click(`a:has-text("${text}")`)]);
    const to = path.join(downloads, dl.suggestedFilename());
    await dl.saveAs(to);
    return to;
  };
  const cert = await save('Download certificate (JSON, signed)');
  const pub = await save('Download public key');
  assert.match(path.basename(cert), /^erasure-[0-9a-f]+-.*\.json$/);
  assert.equal(fs.readFileSync(cert, 'utf8'),
    fs.readFileSync(path.join(srv.data, 'erasure', path.basename(cert)), 'utf8'));
  const out = execFileSync(path.join(BUILD, 'faxgw'), ['cert', 'verify', cert, '--pubkey', pub],
    { encoding: 'utf8' });
  assert.match(out, /: valid$/m);
  // against the new device's key it is not valid: the old key signed it
  let refused = null;
  try {
    execFileSync(path.join(BUILD, 'faxgw'), ['cert', 'verify', cert, '--pubkey',
      path.join(srv.data, 'signing.pub.pem')], { encoding: 'utf8' });
  } catch (e) {
    refused = e;
  }
  assert.ok(refused && refused.status === 1, 'the new key does not verify the old certificate');
});

test('a reset cut short by SIGTERM is finished at the next start', async () => {
  const certs = () => fs.readdirSync(path.join(srv.data, 'erasure')).filter((f) => f.endsWith('.json'));
  assert.equal(certs().length, 1);
  await confirm(PHRASE, ADMIN_PW);
  await page.locator('#reset-started').waitFor();
  const p = srv.proc;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
  // SIGTERM came before the wipe (it waits for the next start) or during
  // it (held back until the wipe ended): either way nothing half-done, and
  // the process stopped instead of starting again
  const log = fs.readFileSync(srv.log, 'utf8');
  assert.equal((log.match(/starting on the new device/g) || []).length, 1, log);
  assert.ok(/stopping \(SIGTERM\)/.test(log) || /a stop was asked for during the reset/.test(log), log);
  await srv.start();
  for (let i = 0; i < 200 && certs().length < 2; i++) await sleep(50);
  assert.equal(certs().length, 2);
  const starts = () => (fs.readFileSync(srv.log, 'utf8').match(/starting on the new device/g) || []).length;
  for (let i = 0; i < 300 && starts() < 2; i++) await sleep(50);
  for (let i = 0; i < 200 && !(await answers(srv.port)); i++) await sleep(50);
  await setupAdmin(page, srv.url);
  await page.waitForURL('**/dashboard');
  assert.equal(srv.auditRecords('wipe').length, 1);
});
