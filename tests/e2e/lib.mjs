// Shared helpers of the browser tests: a fresh faxgwd per test file (its
// own data directory, port and admin), the faxgw CLI as the service user,
// and Debian's Chromium driven by playwright-core.
//
// Environment (set by mk/e2e.sh):
//   FAXGW_BUILD           build folder holding faxgw and faxgwd (required)
//   FAXGW_E2E_ARTIFACTS   folder for screenshots (required)
//   FAXGW_E2E_PIDS        folder where each daemon's pid is noted, so the
//                         script can stop them even if node dies (optional)
//   FAXGW_E2E_CHROMIUM    the browser (default /usr/bin/chromium)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const REPO = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run the browser tests through mk/e2e.sh)`);
  return v;
}

export const BUILD = path.resolve(REPO, need('FAXGW_BUILD'));
export const ARTIFACTS = path.resolve(REPO, need('FAXGW_E2E_ARTIFACTS'));
export const TESTDATA = process.env.FAXGW_TESTDATA || path.resolve(REPO, '../shared/testdata');

// As root the daemon drops to [general] user and the CLI must run as that
// user too (the data directory is its own); otherwise everything runs as us.
function runUser() {
  if (process.getuid() !== 0) return { name: os.userInfo().username, uid: null, gid: null };
  const uid = Number(execFileSync('id', ['-u', 'nobody']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'nobody']).toString().trim());
  return { name: 'nobody', uid, gid };
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function connects(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The embedded default configuration with our keys replaced, key by key
// (a key the default does not have is an error: the daemon would refuse it).
function config(overrides) {
  let text = fs.readFileSync(path.join(REPO, 'config/faxgw.ini'), 'utf8');
  let section = '';
  const used = new Set();
  text = text.split('\n').map((line) => {
    const sec = /^\[(\w+)\]/.exec(line);
    if (sec) section = sec[1];
    const kv = /^(\w+)\s*=/.exec(line);
    const key = kv && `${section}.${kv[1]}`;
    if (key && key in overrides) {
      used.add(key);
      return `${kv[1]} = ${overrides[key]}`;
    }
    return line;
  }).join('\n');
  for (const k of Object.keys(overrides))
    if (!used.has(k)) throw new Error(`config key ${k} is not in config/faxgw.ini`);
  return text;
}

export class Server {
  // Makes the data directory (faxgw init) and the configuration.
  static async create(extra = {}) {
    const s = new Server();
    s.user = runUser();
    s.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faxgw-we2e-'));
    fs.chmodSync(s.dir, 0o755);
    if (s.user.uid !== null) fs.chownSync(s.dir, s.user.uid, s.user.gid);
    s.data = path.join(s.dir, 'data');
    s.ini = path.join(s.dir, 'faxgw.ini');
    s.port = await freePort();
    s.url = `https://127.0.0.1:${s.port}`;
    s.cli(['init']);
    fs.writeFileSync(s.ini, config({
      'general.data_dir': s.data,
      'general.user': s.user.name,
      'security.scrypt_log2_n': 14,
      'audit.syslog': 'no',
      'web.listen': `127.0.0.1:${s.port}`,
      ...extra,
    }), { mode: 0o600 });
    if (s.user.uid !== null) fs.chownSync(s.ini, s.user.uid, s.user.gid);
    return s;
  }

  // Runs faxgw ARGS --data DIR as the service user; returns
  // {status, stdout, stderr}. Throws when check is set and it fails.
  cli(args, { input = '', check = true, config = false } = {}) {
    const argv = [...args, '--data', this.data];
    if (config) argv.push('--config', this.ini);
    const opts = { input, encoding: 'utf8', timeout: 120000, cwd: REPO };
    if (this.user.uid !== null) { opts.uid = this.user.uid; opts.gid = this.user.gid; }
    let r;
    try {
      r = { status: 0, stdout: execFileSync(path.join(BUILD, 'faxgw'), argv, opts), stderr: '' };
    } catch (e) {
      r = { status: e.status ?? -1, stdout: String(e.stdout ?? ''), stderr: String(e.stderr ?? e.message) };
    }
    if (check && r.status !== 0)
      throw new Error(`faxgw ${args.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
    return r;
  }

  // The audit records (JSON Lines of faxgw log show --json), optionally of one type.
  auditRecords(type) {
    const args = ['log', 'show', '--json'];
    if (type) args.push('--type', type);
    return this.cli(args).stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  }

  // Starts faxgwd -f -c INI and waits until the web port answers.
  async start() {
    this.log = path.join(this.dir, 'daemon.log');
    const out = fs.openSync(this.log, 'a');
    this.proc = spawn(path.join(BUILD, 'faxgwd'), ['-f', '-c', this.ini],
      { cwd: REPO, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const pids = process.env.FAXGW_E2E_PIDS;
    if (pids) fs.writeFileSync(path.join(pids, String(this.proc.pid)), '');
    let exited = null;
    this.proc.once('exit', (code, sig) => { exited = `exit ${code ?? sig}`; });
    for (let i = 0; i < 300; i++) {
      if (exited) break;
      if (await connects(this.port)) return;
      await sleep(50);
    }
    const log = fs.existsSync(this.log) ? fs.readFileSync(this.log, 'utf8') : '';
    await this.stop();
    throw new Error(`faxgwd did not open ${this.url} (${exited ?? 'timeout'}):\n${log}`);
  }

  // Stops the daemon (SIGTERM, then SIGKILL after 5 s) and removes the folder.
  async stop() {
    const p = this.proc;
    if (p && p.exitCode === null && p.signalCode === null) {
      const done = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
    if (p && process.env.FAXGW_E2E_PIDS)
      fs.rmSync(path.join(process.env.FAXGW_E2E_PIDS, String(p.pid)), { force: true });
    this.proc = null;
    if (this.dir && !process.env.FAXGW_E2E_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// Debian's Chromium, headless, with a fresh profile folder; the context
// accepts the daemon's self-signed certificate and downloads.
export async function browser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'faxgw-we2e-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.FAXGW_E2E_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic',
      '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync'],
    ignoreHTTPSErrors: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 800 },
  });
  ctx.setDefaultTimeout(15000);
  const close = async () => {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { ctx, page: ctx.pages()[0] ?? await ctx.newPage(), close };
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

export const ADMIN = 'admin';
export const ADMIN_PW = 'Tall-Ferns-Whistle-42';

// Fills the first-run form in the browser: the admin account.
export async function setupAdmin(page, url, password = ADMIN_PW) {
  await page.goto(`${url}/`);
  await page.waitForURL('**/setup');
  await page.fill('#user', ADMIN);
  await page.fill('#password', password);
  await page.fill('#password2', password);
  await page.click('button[type=submit]');
}

export async function login(page, url, user, password) {
  await page.goto(`${url}/login`);
  await page.fill('#user', user);
  await page.fill('#password', password);
  await page.click('main button[type=submit]');
}

export async function logout(page) {
  await page.click('header button:has-text("Log out")');
}
