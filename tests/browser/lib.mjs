// Shared helpers of the browser tests: the deployed stack, its API, the system Chromium, axe-core,
// screenshots and diagnostics. Assertions use node:assert; waits poll with a deadline.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export const ROOT = resolve(here, '..', '..');
export const SCREENSHOTS = process.env.ACTAS_SCREENSHOT_DIR
  || join(ROOT, '.local', 'test-output', 'screenshots');
export const CHROMIUM = process.env.ACTAS_CHROMIUM || '/usr/bin/chromium';
// Lambdas on the local emulator start cold: generous, but bounded, waits.
export const TIMEOUT = Number(process.env.ACTAS_BROWSER_TIMEOUT_MS || 30_000);

// ---------------------------------------------------------------- the stack

/** The deployed stack (ACTAS_STACK_FILE), or null when the variable is unset. */
/** A suite's test options: skipped (with why) without a stack file, and the per-test timeout. */
export function suiteOptions(stack) {
  const skip = stack ? false
    : 'ACTAS_STACK_FILE is not set: point it at the deployed stack\'s JSON (.local/stack.json after scripts/up)';
  return { skip, timeout: Number(process.env.ACTAS_BROWSER_TEST_TIMEOUT_MS || 240_000) };
}

/** One run, one tag: reasons and tickets carry it, so this run's records are told apart. */
export function runTag() {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export function loadStack() {
  const file = process.env.ACTAS_STACK_FILE;
  if (!file) return null;
  const stack = JSON.parse(readFileSync(file, 'utf8'));
  for (const key of ['apiUrl', 'endpoint', 'signInClientId', 'users']) {
    assert.ok(stack[key], `${file} has no ${key}`);
  }
  stack.apiUrl = stack.apiUrl.replace(/\/+$/, '');
  stack.consoleUrl = `${stack.apiUrl}/console/`;
  return stack;
}

export function user(stack, username) {
  const found = stack.users.find((u) => u.username === username);
  assert.ok(found, `the stack file has no user ${username}`);
  return found;
}

// ---------------------------------------------------------------- the API, from Node

// node:http rather than fetch: fetch keeps idle connections that hold the process for seconds
// after the last test; these requests close theirs.
function request(method, url, { headers = {}, body } = {}) {
  return new Promise((resolvePromise, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method, headers, agent: false, timeout: TIMEOUT }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolvePromise({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in ${TIMEOUT} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

async function call(method, url, { token, body, headers = {} } = {}) {
  const r = await request(method, url, {
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  let json = null;
  try { json = JSON.parse(r.text); } catch { /* not JSON */ }
  return { status: r.status, json, text: r.text, headers: r.headers };
}

/** A plain GET (no token), for the console's own files. */
export const get = (url) => call('GET', url);

/** Cognito USER_PASSWORD_AUTH on the sign-in client: {IdToken, AccessToken, RefreshToken}. */
export async function cognitoSignIn(stack, username) {
  const u = user(stack, username);
  const r = await call('POST', `${stack.endpoint.replace(/\/+$/, '')}/`, {
    headers: {
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      'content-type': 'application/x-amz-json-1.1',
    },
    body: JSON.stringify({
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: stack.signInClientId,
      AuthParameters: { USERNAME: u.username, PASSWORD: u.password },
    }),
  });
  assert.equal(r.status, 200, `Cognito sign-in of ${username}: ${r.status} ${r.text}`);
  return r.json.AuthenticationResult;
}

export const api = {
  me: (stack, idToken) => call('GET', `${stack.apiUrl}/auth/me`, { token: idToken }),
  tokenCheck: (stack, token) => call('GET', `${stack.apiUrl}/auth/token`, { token }),
  notes: (stack, token) => call('GET', `${stack.apiUrl}/demo/notes`, { token }),
  impersonations: (stack, token, query = '') =>
    call('GET', `${stack.apiUrl}/auth/impersonations${query}`, { token }),
  /** The impersonated session ends itself (DELETE /auth/impersonate with its own token). */
  endItself: (stack, sessionToken) => call('DELETE', `${stack.apiUrl}/auth/impersonate`, { token: sessionToken }),
  stop: (stack, actorToken, id) =>
    call('DELETE', `${stack.apiUrl}/auth/impersonations/${encodeURIComponent(id)}`, { token: actorToken }),
  /** A refresh of an impersonated session through its payload's endpointUrl (Cognito's protocol). */
  refresh: (payload) => call('POST', payload.endpointUrl, {
    headers: {
      'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      'content-type': 'application/x-amz-json-1.1',
    },
    body: JSON.stringify({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: payload.clientId,
      AuthParameters: { REFRESH_TOKEN: payload.session.refreshToken },
    }),
  }),
  /** Seed 002, as the console does it: a one-time token, then its exchange for the session payload. */
  async start(stack, actorIdToken, target, { reason, ticket, mode = 'read_only' }) {
    const q = new URLSearchParams({ reason, mode, ...(ticket ? { ticket } : {}) });
    const issued = await call('GET',
      `${stack.apiUrl}/api/public/coworkers/${encodeURIComponent(target)}/impersonate?${q}`,
      { token: actorIdToken });
    assert.equal(issued.status, 200, `impersonate ${target}: ${issued.status} ${issued.text}`);
    const login = await call('POST',
      `${stack.apiUrl}/api/public/auth/login/${encodeURIComponent(issued.json.token)}`);
    assert.equal(login.status, 200, `login exchange for ${target}: ${login.status} ${login.text}`);
    return login.json;
  },
};

/** An impersonation through the API (for pages that need one live), with its actor's tokens. */
export async function apiImpersonation(stack, actor, target, options) {
  const actorTokens = await cognitoSignIn(stack, actor);
  const payload = await api.start(stack, actorTokens.IdToken, target, options);
  return {
    actorTokens,
    payload,
    async end() {
      const r = await api.stop(stack, actorTokens.IdToken, payload.impersonation.id);
      // Already ended (by the test itself) is fine; anything else is not.
      assert.ok([200, 204, 404, 409, 410].includes(r.status), `stop ${payload.impersonation.id}: ${r.status} ${r.text}`);
    },
  };
}

// ---------------------------------------------------------------- the browser

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // No --user-data-dir here: playwright-core refuses it in `args` and itself starts Chromium
  // with a fresh, empty temporary --user-data-dir that it deletes on close.
];

// ACTAS_CONSOLE_DIR=console/dist: serve the console's files from a local build instead of the
// deployed function (the browser's requests for {API}/console/* are answered from the folder,
// config.json from the stack file; the API itself stays the deployed one, same origin). For trying
// a console build before it is deployed; unset, the tests use the deployed console.
export const CONSOLE_DIR = process.env.ACTAS_CONSOLE_DIR ? resolve(process.env.ACTAS_CONSOLE_DIR) : null;
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.map': 'application/json', '.woff2': 'font/woff2',
};

async function serveConsoleFrom(context, dir) {
  const stack = loadStack();
  const { existsSync, statSync } = await import('node:fs');
  const { extname } = await import('node:path');
  await context.route((url) => url.href.startsWith(stack.consoleUrl), async (route) => {
    const url = new URL(route.request().url());
    const rel = decodeURIComponent(url.pathname.slice(new URL(stack.consoleUrl).pathname.length)) || 'index.html';
    if (rel === 'config.json') {
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({
        cognitoEndpoint: stack.endpoint, region: stack.region, userPoolId: stack.userPoolId, signInClientId: stack.signInClientId,
      }) });
    }
    const file = resolve(dir, rel);
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      return route.fulfill({ status: 404, contentType: 'application/json', body: '{"status":"error","message":"not found"}' });
    }
    return route.fulfill({ status: 200, contentType: TYPES[extname(file)] || 'application/octet-stream', body: readFileSync(file) });
  });
}

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: TIMEOUT,
  });
}

/**
 * A fresh context (own storage) and page, logging what goes wrong in it: page errors, console
 * errors, failed requests and HTTP errors, for the diagnosis of a failing test.
 */
export async function newPage(browser, { width = 1280, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, locale: 'en-US' });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT);
  if (CONSOLE_DIR) await serveConsoleFrom(context, CONSOLE_DIR);
  const page = await context.newPage();
  const log = [];
  const watch = (p) => {
    p.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    p.on('console', (m) => {
      // "Failed to load resource" repeats the HTTP lines below.
      if ((m.type() === 'error' || m.type() === 'warning') && !m.text().startsWith('Failed to load resource')) log.push(`console.${m.type()}: ${m.text()}`);
    });
    p.on('requestfailed', (r) => log.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    p.on('response', (r) => { if (r.status() >= 400) log.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`); });
  };
  watch(page);
  context.on('page', watch);
  return { context, page, log };
}

/** Screenshot to SCREENSHOTS/<name>.png; returns the path. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** Text of the page including open shadow roots (what a reader sees, roughly). */
export async function deepText(locatorOrPage) {
  const fn = (root) => {
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) return node.textContent;
      if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_NODE
        && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return '';
      if (node.nodeType === Node.ELEMENT_NODE) {
        const tag = node.localName;
        if (tag === 'script' || tag === 'style' || tag === 'template') return '';
      }
      let out = '';
      if (node.shadowRoot) out += walk(node.shadowRoot);
      for (const child of node.childNodes) out += walk(child);
      if (node.nodeType === Node.ELEMENT_NODE && getComputedStyle(node).display !== 'inline') out += ' ';
      return out;
    };
    return walk(root ?? document.body).replace(/\s+/g, ' ').trim();
  };
  if (typeof locatorOrPage.evaluate === 'function' && typeof locatorOrPage.goto === 'function') {
    return locatorOrPage.evaluate(fn, null);
  }
  return locatorOrPage.evaluate(fn);
}

/**
 * What the page showed when a step failed: URL, visible text, alerts and the browser's log, plus a
 * screenshot (failure-<name>.png). Appended to the error message.
 */
export async function diagnose(page, name, log = []) {
  const lines = [];
  try {
    const path = await screenshot(page, `failure-${name}`);
    lines.push(`screenshot: ${path}`);
  } catch (e) { lines.push(`(no screenshot: ${e.message})`); }
  try { lines.push(`url: ${page.url()}`); } catch { /* closed */ }
  try {
    const text = await deepText(page);
    lines.push(`page text: ${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`);
  } catch (e) { lines.push(`(no page text: ${e.message})`); }
  try {
    const alerts = (await page.getByRole('alert').allInnerTexts()).map((a) => a.trim()).filter(Boolean);
    if (alerts.length) lines.push(`alerts: ${JSON.stringify(alerts)}`);
  } catch { /* ignore */ }
  if (log.length) lines.push('browser log:', ...log.slice(-30).map((l) => `  ${l}`));
  return lines.join('\n');
}

/**
 * Runs named steps, and on the first failure rethrows with the step's name and what the page
 * showed, so a failing test says where it stopped and why.
 */
export function stepper(testName, page, log) {
  let current = null;
  return async function step(name, fn) {
    current = name;
    const started = Date.now();
    try {
      const result = await fn();
      if (process.env.ACTAS_BROWSER_VERBOSE) console.log(`  ✓ ${testName}: ${name} (${Date.now() - started} ms)`);
      return result;
    } catch (error) {
      const target = typeof page === 'function' ? page() : page;
      const info = target ? await diagnose(target, `${testName}`, log) : '';
      const wrapped = new Error(`step "${current}" failed: ${error.message}\n${info}`);
      throw wrapped;
    }
  };
}

/** Polls fn until it returns a truthy value; fails with describe() after the deadline. */
export async function eventually(fn, describe, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (error) { last = error; }
    if (Date.now() > deadline) {
      const what = typeof describe === 'function' ? await describe(last) : describe;
      throw new Error(`timed out after ${timeout} ms: ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

// ---------------------------------------------------------------- the console

/** Opens the console's sign-in page and signs in; waits for the signed-in nav. */
export async function signIn(page, stack, username) {
  const u = user(stack, username);
  await page.goto(`${stack.consoleUrl}#/sign-in`);
  await page.getByLabel('Username', { exact: true }).fill(u.username);
  await page.getByLabel('Password', { exact: true }).fill(u.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await appear(page, page.getByRole('button', { name: 'Sign out', exact: true }));
}

/**
 * Waits for the locator to be visible; fails at once, with the message, when the page shows an
 * error (role=alert with text) instead.
 */
export async function appear(page, locator, timeout = TIMEOUT) {
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  const first = await Promise.race([
    locator.first().waitFor({ timeout }).then(() => 'found'),
    alert.first().waitFor({ timeout }).then(() => 'alert'),
  ]);
  if (first === 'found') return;
  // An alert came first: a moment for the awaited element, then the error.
  try {
    await locator.first().waitFor({ timeout: 1000 });
  } catch {
    throw new Error(`the page shows an error instead of ${locator}: ${(await alert.first().innerText()).trim()}`);
  }
}

/** Clicks a link of the nav and waits for something of the page it opens. */
export async function openFromNav(page, name, landmark) {
  await navLink(page, name).click();
  await appear(page, landmark);
}

export function navLink(page, name) {
  return page.getByRole('navigation').getByRole('link', { name, exact: true });
}

/** Waits until no progress indicator (role=status "Loading…" or aria-busy) is left on the page. */
export async function settled(page) {
  await eventually(
    () => page.evaluate(() => {
      const busy = document.querySelector('[aria-busy="true"]');
      const loading = [...document.querySelectorAll('[role="status"]')]
        .some((e) => /loading|starting|signing in|stopping/i.test(e.textContent || '') && e.offsetParent !== null);
      return !busy && !loading;
    }),
    'the page is still loading (aria-busy or a "Loading…" status)',
  );
}

/** A table as {headers, rows:[{header: cell text}]}; headers from <th> of the first row. */
export async function readTable(table) {
  return table.evaluate((t) => {
    const text = (e) => (e.innerText || e.textContent || '').replace(/\s+/g, ' ').trim();
    const headRow = t.tHead?.rows[0] ?? t.rows[0];
    const headers = [...headRow.cells].map(text);
    const bodyRows = [...t.rows].filter((r) => r !== headRow && r.parentElement?.localName !== 'thead');
    const rows = bodyRows.map((r) => {
      const row = {};
      [...r.cells].forEach((c, i) => { row[headers[i] ?? `#${i}`] = text(c); });
      row._text = text(r);
      return row;
    });
    return { headers, rows };
  });
}

/** A cell by header name, case-insensitive. */
export function cell(row, header) {
  const key = Object.keys(row).find((k) => k.toLowerCase() === header.toLowerCase());
  return key === undefined ? undefined : row[key];
}

export const READ_ONLY = /read[-_ ]?only/i;

// ---------------------------------------------------------------- axe-core

const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core on the page; returns the serious and critical violations, printed readably. */
export async function axeViolations(page) {
  const has = await page.evaluate(() => typeof window.axe !== 'undefined');
  // Evaluated through the DevTools protocol, not as an inline <script>: the console's Content
  // Security Policy (script-src 'self') rightly refuses inline scripts, and the test keeps it on.
  if (!has) await page.evaluate(`${AXE_SOURCE}\n;void 0`);
  assert.ok(await page.evaluate(() => typeof window.axe?.run === 'function'), 'axe-core did not load into the page');
  const results = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
    }));
  });
  return results.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export function formatViolations(name, violations) {
  return [`${name}: ${violations.length} serious/critical axe violation(s)`,
    ...violations.flatMap((v) => [
      `  [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})`,
      ...v.nodes.slice(0, 5).map((n) => `      at ${JSON.stringify(n.target)}: ${n.html.slice(0, 160)}\n        ${(n.summary || '').replace(/\n/g, '\n        ')}`),
      ...(v.nodes.length > 5 ? [`      … and ${v.nodes.length - 5} more`] : []),
    ])].join('\n');
}

export async function assertAccessible(page, name) {
  const violations = await axeViolations(page);
  assert.equal(violations.length, 0, formatViolations(name, violations));
}
