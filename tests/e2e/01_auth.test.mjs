// First-run admin setup, login, logout and the login lockout, clicked and
// typed in Chromium against a fresh faxgwd. The tests of this file run in
// order and share one daemon and one browser.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, ADMIN_PW, Server, browser, login, logout, screenshot, setupAdmin } from './lib.mjs';

let srv, b, page;

before(async () => {
  srv = await Server.create();
  await srv.start();
  b = await browser();
  page = b.page;
});

after(async () => {
  if (b) await b.close();
  if (srv) await srv.stop();
});

test('the first visit from loopback asks for the admin password, with no setup code', async () => {
  await page.goto(`${srv.url}/`);
  await page.waitForURL('**/setup');
  assert.equal(await page.locator('#code').count(), 0, 'loopback needs no setup code');
  await screenshot(page, 'setup');
});

test('a deny-listed password is refused with the reason, and no account is made', async () => {
  await setupAdmin(page, srv.url, 'password123');
  const msg = page.locator('.msg.error');
  await msg.waitFor();
  assert.match(await msg.innerText(), /list of common and factory-default passwords/);
  assert.equal(new URL(page.url()).pathname, '/setup');
  await screenshot(page, 'setup-refused');
  // still no account: the setup form is offered again
  await page.goto(`${srv.url}/`);
  await page.waitForURL('**/setup');
});

test('a good password creates the admin and logs in to the dashboard', async () => {
  await setupAdmin(page, srv.url);
  await page.waitForURL('**/dashboard');
  assert.match(await page.locator('header .who').innerText(), /admin \(admin\)/);
  const created = srv.auditRecords().filter((r) => /first admin account created/.test(JSON.stringify(r)));
  assert.equal(created.length, 1, 'the account creation is audited');
  // the setup page is closed for good
  await page.goto(`${srv.url}/setup`);
  assert.notEqual(new URL(page.url()).pathname, '/setup');
});

test('log out ends the session: protected pages send back to the login form', async () => {
  await page.goto(`${srv.url}/dashboard`);
  await logout(page);
  await page.waitForURL('**/login');
  await screenshot(page, 'login');
  await page.goto(`${srv.url}/dashboard`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(await page.locator('header .who').count(), 0);
});

test('log in with the right password reaches the dashboard', async () => {
  await login(page, srv.url, ADMIN, ADMIN_PW);
  await page.waitForURL('**/dashboard');
  assert.match(await page.locator('header .who').innerText(), /^admin/);
  await logout(page);
  await page.waitForURL('**/login');
});

test('a wrong password is refused without saying which part was wrong', async () => {
  await login(page, srv.url, ADMIN, 'not-the-password-1');
  const msg = page.locator('.msg.error');
  await msg.waitFor();
  assert.equal(await msg.innerText(), 'Wrong user name or password.');
  assert.equal(new URL(page.url()).pathname, '/login');
});

test('after 3 failures the account is locked: the right password is refused', async () => {
  // two more failures (three in all) lock the account
  for (const pw of ['not-the-password-2', 'not-the-password-3']) {
    await login(page, srv.url, ADMIN, pw);
    await page.locator('.msg.error').waitFor();
  }
  // the source address is also slowed down for a second after 3 failures;
  // wait it out so the answer shows the account lock itself
  await new Promise((r) => setTimeout(r, 2500));
  await login(page, srv.url, ADMIN, ADMIN_PW);
  const msg = page.locator('.msg.error');
  await msg.waitFor();
  assert.match(await msg.innerText(), /account is locked after too many failed logins/);
  assert.equal(new URL(page.url()).pathname, '/login');
  await screenshot(page, 'login-locked');
  await page.goto(`${srv.url}/dashboard`);
  assert.equal(new URL(page.url()).pathname, '/login', 'no session was made');
});

test('the audit log has the failures and the lock, with the source address', async () => {
  const failures = srv.auditRecords('login_failure');
  const locks = srv.auditRecords('lockout');
  const text = (r) => JSON.stringify(r);
  const wrong = failures.filter((r) => /wrong user name or password/.test(text(r)));
  assert.equal(wrong.length, 3, text(failures));
  assert.ok(failures.some((r) => /account locked/.test(text(r))), 'the refused 4th login is recorded');
  assert.ok(locks.some((r) => /account locked after failed logins/.test(text(r))), text(locks));
  for (const r of [...wrong, ...locks]) {
    assert.match(text(r), /127\.0\.0\.1/, `source address missing in ${text(r)}`);
    assert.match(text(r), new RegExp(`"${ADMIN}"`), `user missing in ${text(r)}`);
  }
});
