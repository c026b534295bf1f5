// Browser tests of the console's governance pages (issue 12): a start that waits for approval,
// the Requests page (approve with a comment), "Check again" redeeming the approval, the Settings
// page (every setting, a 422 shown readably), "Who acted as me" (consent, "Protect my account"),
// who is offered which page, axe-core and 320 px.
//
//   ACTAS_STACK_FILE=.local/stack.json node --test governance.test.mjs     (or scripts/browser.sh's browser_test)
//
// Tenant acme is shared with the other suites: test 1 turns `approval.always` on for acme only
// around its two starts (the one that asks, and "Check again" that redeems; about a second each)
// and puts the previous value back right after each (also when a step fails, in an after hook, and
// on SIGINT/SIGTERM). Nothing else changes a setting; the protection toggle uses acme-super, whom
// nobody may act as.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  READ_ONLY, SCREENSHOTS, api, appear, axeViolations, cognitoSignIn, deepText, eventually, formatViolations, launch,
  loadStack, navLink, newPage, openFromNav, screenshot, settled, signIn, runTag, stepper, suiteOptions, user,
} from './lib.mjs';

const stack = loadStack();
const options = suiteOptions(stack);

const RUN = runTag();
const REASON = `Governance test ${RUN}: customer cannot see their invoices`;
const TICKET = `GOV-${RUN}`;
const COMMENT = `Approved for ${TICKET}`;

const startedAt = Date.now();
let browser;

// ---------------------------------------------------------------- the API (fetch, no UI)

async function apiCall(method, path, token, body) {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: {
      accept: 'application/json',
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: response.status, json, text };
}

const idToken = async (username) => (await cognitoSignIn(stack, username)).IdToken;

// acme-admin's token for the settings, kept for a few minutes: no sign-in inside a window.
let adminCache = null;
async function adminToken() {
  if (!adminCache || adminCache.until < Date.now()) adminCache = { token: await idToken('acme-admin'), until: Date.now() + 5 * 60_000 };
  return adminCache.token;
}

/**
 * A change to acme's settings that is undone: `change(body)` remembers the previous value of
 * each key it touches (the first time), `restore()` puts them back (idempotent, retried) at once.
 * `watch(key)` marks a key something else might have changed: restored only if it differs.
 * `onMs` adds up the time the changes were in force.
 */
const guards = [];
function settingsGuard(name) {
  const guard = {
    name,
    previous: null, // the settings before the first change
    changed: new Set(), // keys changed and not yet restored
    watched: new Set(), // keys that may have changed
    onSince: null,
    onMs: 0,
    async read() {
      const r = await apiCall('GET', '/auth/settings', await adminToken());
      assert.equal(r.status, 200, `GET /auth/settings as acme-admin: ${r.status} ${r.text}`);
      return r.json;
    },
    async change(body) {
      const token = await adminToken();
      if (!guard.previous) guard.previous = await guard.read();
      for (const key of Object.keys(body)) guard.changed.add(key);
      guard.onSince ??= Date.now();
      const r = await apiCall('PUT', '/auth/settings', token, body);
      assert.equal(r.status, 200, `PUT /auth/settings ${JSON.stringify(body)}: ${r.status} ${r.text}`);
      return r.json;
    },
    watch(key, previous) {
      if (!guard.previous) guard.previous = previous;
      guard.watched.add(key);
    },
    async restore() {
      if (!guard.changed.size && !guard.watched.size) return;
      let last;
      for (let attempt = 1; attempt <= 3; attempt++) {
        try {
          const token = await adminToken();
          const body = Object.fromEntries([...guard.changed].map((k) => [k, guard.previous[k]]));
          if (guard.watched.size) {
            const now = await guard.read();
            for (const k of guard.watched) {
              if (JSON.stringify(now[k]) !== JSON.stringify(guard.previous[k])) body[k] = guard.previous[k];
            }
          }
          if (Object.keys(body).length) {
            const r = await apiCall('PUT', '/auth/settings', token, body);
            if (r.status !== 200) throw new Error(`PUT /auth/settings ${JSON.stringify(body)}: ${r.status} ${r.text}`);
          }
          guard.changed.clear();
          guard.watched.clear();
          if (guard.onSince) guard.onMs += Date.now() - guard.onSince;
          guard.onSince = null;
          return;
        } catch (error) { last = error; }
        adminCache = null; // an expired token is one possible cause
        await new Promise((r) => setTimeout(r, 500 * attempt));
      }
      const message = `COULD NOT RESTORE acme's settings (${guard.name}): ${last?.message}`;
      console.error(message);
      throw new Error(message);
    },
    /** Runs `work` with `body` in force, restoring right after, whatever happens. */
    async during(body, work) {
      try {
        await guard.change(body);
        return await work();
      } finally {
        await guard.restore();
      }
    },
  };
  guards.push(guard);
  return guard;
}

async function restoreAll() {
  const failures = [];
  for (const guard of guards) {
    try { await guard.restore(); } catch (error) { failures.push(error.message); }
  }
  if (failures.length) throw new Error(failures.join('\n'));
}

// An interrupted run (Ctrl-C, a killed runner) still puts acme's settings back.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    restoreAll().catch(() => undefined).finally(() => process.exit(130));
  });
}

before(async () => {
  if (!stack) return;
  // The governance routes must be deployed: say so plainly rather than fail somewhere later.
  const r = await apiCall('GET', '/auth/settings', await idToken('acme-admin'));
  assert.notEqual(r.status, 404, `GET /auth/settings answers 404 (${r.text.slice(0, 200)}): the governance routes are not deployed`);
  assert.equal(r.status, 200, `GET /auth/settings as acme-admin: ${r.status} ${r.text}`);
  browser = await launch();
});

after(async () => {
  try {
    await restoreAll();
  } finally {
    await browser?.close();
    console.log(`governance browser tests: total run time ${((Date.now() - startedAt) / 1000).toFixed(1)} s`
      + (stack ? ` (screenshots in ${SCREENSHOTS})` : ''));
  }
});

// ---------------------------------------------------------------- helpers

/** The request item (a list item of the Requests page) whose text holds `text`. */
const requestItem = (page, text) => page.getByRole('listitem').filter({ hasText: text });

async function oneHeading(page, name) {
  const h1 = page.getByRole('heading', { level: 1 });
  await h1.first().waitFor();
  assert.equal(await h1.count(), 1, `expected one <h1>, found ${JSON.stringify(await h1.allInnerTexts())}`);
  if (name) assert.equal((await h1.innerText()).trim(), name);
}

async function noHorizontalScroll(page, what) {
  const sizes = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, body: document.body.scrollWidth }));
  assert.ok(sizes.scroll <= sizes.client && sizes.body <= sizes.client, `${what} scrolls horizontally: ${JSON.stringify(sizes)}`);
}

/** Text of the role=status region that says what the start waits for. */
const waitingStatus = (page) => page.getByRole('status').filter({ hasText: /Waiting for/ });

// ------------------------------------------------------------------------------------------------

test('1. approval: acme-operator asks to act as acme-support-1, acme-admin approves with a comment, "Check again" opens the sample app', options, async () => {
  const operator = await newPage(browser);
  const admin = await newPage(browser);
  const log = operator.log;
  let current = operator.page;
  const step = stepper('g1-approval', () => current, log);
  const guard = settingsGuard('test 1: approval.always');
  const axeFindings = [];
  let payload = null;
  let stopped = false;
  let requestId = null;
  let startAnswer = null;
  let consentOff = true;
  const o = operator.page;
  const a = admin.page;
  try {
    // Everything that needs no setting first: the windows with approval.always on stay short.
    await step('acme-admin signs in (second browser context); the nav offers Requests and Settings', async () => {
      current = a;
      await signIn(a, stack, 'acme-admin');
      await navLink(a, 'Requests').waitFor();
      await navLink(a, 'Settings').waitFor();
    });

    await step('acme-operator signs in; Act as acme-support-1: Read-only, reason, ticket (not started yet)', async () => {
      current = o;
      await signIn(o, stack, 'acme-operator');
      const search = o.getByLabel('Search people', { exact: true });
      await openFromNav(o, 'Act as', search);
      await search.fill('acme-support-1');
      const pick = o.getByRole('button', { name: 'Act as acme-support-1', exact: true });
      await appear(o, pick);
      await pick.click();
      await o.getByRole('radio', { name: 'Read-only', exact: true }).check();
      await o.getByLabel('Reason', { exact: true }).fill(REASON);
      await o.getByLabel('Ticket', { exact: true }).fill(TICKET);
    });

    let always; // acme's approval with always = true
    await step('acme\'s settings (API, as acme-admin) before: read', async () => {
      const before = await guard.read();
      guard.previous = before;
      consentOff = before.consent === 'never';
      always = { approval: { ...before.approval, always: true } };
    });

    // Window 1: approval.always on only for the start itself.
    await step('with approval.always on: Start impersonation answers 202 (no session)', async () => {
      current = o;
      await guard.during(always, async () => {
        const answer = o.waitForResponse((r) => /\/api\/public\/coworkers\/[^/]+\/impersonate/.test(r.url()));
        await o.getByRole('button', { name: 'Start impersonation', exact: true }).click();
        const started = await answer;
        startAnswer = { status: started.status(), json: await started.json().catch(() => null) };
      });
      assert.equal(startAnswer.status, 202, `the start answered ${startAnswer.status}, not 202: ${JSON.stringify(startAnswer.json)}`);
    });

    await step('acme\'s settings are back as they were', async () => {
      const now = await guard.read();
      assert.deepEqual(now.approval, guard.previous.approval, 'approval is not restored');
    });

    await step('"Waiting for approval" (role=status) with status and expiry, and "Check again"', async () => {
      const status = waitingStatus(o);
      await appear(o, status);
      const text = (await status.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /Waiting for approval/, `status: ${text}`);
      assert.match(text, /Status: Pending/i, `no status in: ${text}`);
      assert.match(text, /expires .*\d{1,2}:\d{2}/i, `no expiry time in: ${text}`);
      assert.ok(!/demo\.html/.test(o.url()), 'the sample app opened without approval');
      await o.getByRole('button', { name: 'Check again', exact: true }).waitFor();
      await screenshot(o, 'waiting-for-approval');
    });

    await step('API: the 202 is the request as the spec shapes it', async () => {
      const r = startAnswer.json;
      const problems = [
        [typeof r.id === 'string' && r.id, 'id'],
        [r.status === 'pending', `status ${r.status}`],
        [r.approval === 'pending', `approval ${r.approval}`],
        [r.consent === 'not_required', `consent ${r.consent} (acme's consent is "${guard.previous.consent}")`],
        [r.requester?.username === 'acme-operator' && typeof r.requester?.sub === 'string', `requester ${JSON.stringify(r.requester)}`],
        [r.target?.username === 'acme-support-1' && typeof r.target?.sub === 'string', `target ${JSON.stringify(r.target)}`],
        [r.tenant === 'acme', `tenant ${r.tenant}`],
        [r.mode === 'read_only', `mode ${r.mode}`],
        [r.reason === REASON, `reason ${r.reason}`],
        [r.ticket === TICKET, `ticket ${r.ticket}`],
        [!Number.isNaN(Date.parse(r.created_at)), `created_at ${r.created_at}`],
        [Math.abs(Date.parse(r.expires_at) - Date.parse(r.created_at) - 15 * 60_000) < 5_000, `expires_at ${r.expires_at} is not created_at + 15 min`],
        [r.decided_by === null, `decided_by ${JSON.stringify(r.decided_by)}`],
        [r.comment === null, `comment ${JSON.stringify(r.comment)}`],
        [!('token' in r) && !('session' in r), 'the 202 carries a token or session'],
      ].filter(([ok]) => !ok).map(([, what]) => what);
      const relevant = consentOff ? problems : problems.filter((p) => !p.startsWith('consent'));
      assert.deepEqual(relevant, [], `the 202 answer differs from the spec: ${JSON.stringify(r)}`);
    });

    await step('API: acme-operator\'s own requests (?mine=true) hold it, pending approval, as the spec shapes it', async () => {
      const r = await apiCall('GET', '/auth/requests?mine=true', await idToken('acme-operator'));
      assert.equal(r.status, 200, `GET /auth/requests?mine=true: ${r.status} ${r.text}`);
      assert.ok(Array.isArray(r.json?.requests), `no "requests" array: ${r.text.slice(0, 300)}`);
      const mine = r.json.requests.find((x) => x.reason === REASON);
      assert.ok(mine, `the request is not among acme-operator's: ${r.text.slice(0, 500)}`);
      requestId = mine.id;
      assert.equal(mine.status, 'pending', `status: ${JSON.stringify(mine)}`);
      assert.equal(mine.approval, 'pending', `approval: ${JSON.stringify(mine)}`);
      assert.equal(mine.requester?.username, 'acme-operator', `requester: ${JSON.stringify(mine)}`);
      assert.equal(mine.target?.username, 'acme-support-1', `target: ${JSON.stringify(mine)}`);
      assert.equal(mine.mode, 'read_only', `mode: ${JSON.stringify(mine)}`);
      assert.equal(mine.ticket, TICKET, `ticket: ${JSON.stringify(mine)}`);
      assert.ok(!Number.isNaN(Date.parse(mine.expires_at)), `expires_at: ${JSON.stringify(mine)}`);
    });

    await step('API: acme-operator may not approve their own request (403)', async () => {
      const r = await apiCall('POST', `/auth/requests/${encodeURIComponent(requestId)}/approve`, await idToken('acme-operator'), { comment: 'self' });
      assert.equal(r.status, 403, `self-approval answered ${r.status} ${r.text}`);
      assert.equal(r.json?.status, 'error', `self-approval: ${r.text}`);
    });

    await step('acme-admin: Requests lists it: requester, target, mode, reason, ticket, expiry, a Comment, Approve and Deny', async () => {
      current = a;
      const item = requestItem(a, REASON);
      await openFromNav(a, 'Requests', item);
      await oneHeading(a, 'Requests');
      await settled(a);
      assert.equal(await item.count(), 1, 'the request is listed more than once');
      const text = (await item.innerText()).replace(/\s+/g, ' ');
      assert.match(text, /acme-operator/, `requester: ${text}`);
      assert.match(text, /acme-support-1/, `target: ${text}`);
      assert.match(text, READ_ONLY, `mode: ${text}`);
      assert.ok(text.includes(TICKET), `ticket: ${text}`);
      assert.match(text, /Expires/i, `expiry: ${text}`);
      await item.getByLabel('Comment', { exact: true }).waitFor();
      await item.getByRole('button', { name: 'Approve request from acme-operator to act as acme-support-1', exact: true }).waitFor();
      await item.getByRole('button', { name: 'Deny request from acme-operator to act as acme-support-1', exact: true }).waitFor();
      await item.getByLabel('Comment', { exact: true }).fill(COMMENT);
      await screenshot(a, 'requests');
      const violations = await axeViolations(a);
      if (violations.length) axeFindings.push(formatViolations('requests (with a request to decide)', violations));
    });

    await step('acme-admin approves it with a comment, for at most 20 minutes (the approver\'s terms): "Approved … (at most 20 minutes)" (role=status), the request leaves the list', async () => {
      const item = requestItem(a, REASON);
      // A read-only request has nothing to narrow: only a shorter session is offered.
      assert.equal(await item.getByLabel('Approve as read-only (looking, no changes)', { exact: true }).count(), 0, 'read-only offered for a read-only request');
      await item.getByLabel('Approve for at most (minutes)', { exact: true }).fill('20');
      await item.getByRole('button', { name: 'Approve request from acme-operator to act as acme-support-1', exact: true }).click();
      await appear(a, a.getByRole('status').filter({ hasText: /Approved the request from acme-operator.*at most 20 minutes/ }));
      await eventually(async () => (await item.count()) === 0, 'the approved request is still listed');
    });

    await step('API: the request is approved, decided by acme-admin, with the comment', async () => {
      const r = await apiCall('GET', '/auth/requests?mine=true', await idToken('acme-operator'));
      assert.equal(r.status, 200, `GET /auth/requests?mine=true: ${r.status} ${r.text}`);
      const mine = r.json.requests.find((x) => x.id === requestId);
      assert.ok(mine, `request ${requestId} is gone from acme-operator's requests`);
      assert.equal(mine.status, 'approved', `status: ${JSON.stringify(mine)}`);
      assert.equal(mine.approval, 'approved', `approval: ${JSON.stringify(mine)}`);
      assert.equal(mine.comment, COMMENT, `comment: ${JSON.stringify(mine)}`);
      assert.equal(mine.approved_duration_seconds, 1200, `the approver's duration: ${JSON.stringify(mine)}`);
      assert.equal(mine.approved_mode, null, `no approved mode: ${JSON.stringify(mine)}`);
      const decider = typeof mine.decided_by === 'string' ? mine.decided_by : mine.decided_by?.username;
      assert.equal(decider, 'acme-admin', `decided_by: ${JSON.stringify(mine)}`);
    });

    // Window 2: approval.always on again for the redemption, so that only the approval lets it through.
    await step('with approval.always on: "Check again" redeems the approval → the sample app opens', async () => {
      current = o;
      await guard.during(always, async () => {
        await o.getByRole('button', { name: 'Check again', exact: true }).click();
        await o.waitForURL(/\/demo\.html/);
      });
    });
    console.log(`  acme's approval.always was on for ${(guard.onMs / 1000).toFixed(1)} s in all (two windows)`);

    await step('the sample app as acme-support-1 for acme-operator, with the banner; acme\'s settings are back', async () => {
      const banner = o.getByRole('region', { name: 'Impersonation', exact: true });
      await banner.waitFor();
      payload = await o.evaluate(() => JSON.parse(sessionStorage.getItem('actas.session') || 'null'));
      assert.ok(payload?.impersonation?.id, `no impersonated session in sessionStorage: ${JSON.stringify(payload)?.slice(0, 300)}`);
      assert.equal(payload.username, 'acme-support-1', 'the session is not acme-support-1\'s');
      assert.equal(payload.impersonation.actor?.username, 'acme-operator', 'the session\'s actor');
      assert.equal(payload.impersonation.mode, 'read_only', 'the session\'s mode');
      const lasts = (Date.parse(payload.impersonation.expires_at) - Date.parse(payload.created_at)) / 1000;
      assert.ok(Math.abs(lasts - 1200) <= 2, `the session lasts the approver's 20 minutes, not ${lasts} s`);
      assert.equal(payload.impersonation.reason, REASON, 'the session\'s reason');
      const text = await deepText(banner);
      assert.match(text, /Acting as acme-support-1/, `banner: ${text}`);
      assert.match(text, /\b(for|by) acme-operator\b/, `banner: ${text}`);
      assert.match(text, /read-only/i, `banner: ${text}`);
      const now = await guard.read();
      assert.deepEqual(now.approval, guard.previous.approval, 'approval is not restored');
    });

    await step('API: the approved request is used by that start; deciding it again is 409', async () => {
      const r = await apiCall('GET', '/auth/requests?mine=true', await idToken('acme-operator'));
      const mine = r.json?.requests?.find((x) => x.id === requestId);
      // Listed or not (a used request may leave the list), it must not be redeemable again.
      if (mine) assert.equal(mine.status, 'used', `after the redemption: ${JSON.stringify(mine)}`);
      const again = await apiCall('POST', `/auth/requests/${encodeURIComponent(requestId)}/deny`, await idToken('acme-admin'), { comment: 'too late' });
      assert.equal(again.status, 409, `denying a decided request answered ${again.status} ${again.text}`);
    });

    await step('Stop from the banner ends it server-side', async () => {
      const banner = o.getByRole('region', { name: 'Impersonation', exact: true });
      await banner.getByRole('button', { name: 'Stop impersonation', exact: true }).click();
      await o.waitForURL(/#\/active/);
      stopped = true;
      const check = await api.tokenCheck(stack, payload.session.accessToken);
      assert.ok(check.status === 401 || check.json?.valid === false, `the stopped session's token is still valid: ${check.status} ${check.text}`);
    });

    assert.deepEqual(axeFindings, [], axeFindings.join('\n'));
  } finally {
    await guard.restore().catch((error) => console.error(error.message));
    // A start that went through when it should not have (200 instead of 202) left a session too.
    payload ??= await o.evaluate(() => JSON.parse(sessionStorage.getItem('actas.session') || 'null')).catch(() => null);
    if (payload?.impersonation?.id && !stopped) {
      await api.stop(stack, await idToken('acme-operator'), payload.impersonation.id).catch(() => undefined);
    }
    await operator.context.close();
    await admin.context.close();
  }
});

test('2. Settings as acme-admin: every setting shown as the API has it; a 422 is shown readably; axe', options, async () => {
  const { context, page, log } = await newPage(browser);
  const step = stepper('g2-settings', page, log);
  const guard = settingsGuard('test 2: a refused save');
  try {
    let settings;
    await step('sign in as acme-admin; Settings shows the form (no Tenant input for an admin)', async () => {
      settings = await guard.read();
      await signIn(page, stack, 'acme-admin');
      await openFromNav(page, 'Settings', page.getByRole('button', { name: 'Save settings', exact: true }));
      await oneHeading(page, 'Settings');
      await settled(page);
      assert.equal(await page.getByLabel('Tenant', { exact: true }).count(), 0, 'an admin is offered a Tenant input');
    });

    await step('every setting has its labelled control, showing the API\'s value', async () => {
      const box = (name) => page.getByRole('checkbox', { name, exact: true });
      const expectBox = async (name, value) => {
        assert.equal(await box(name).count(), 1, `no checkbox "${name}"`);
        assert.equal(await box(name).isChecked(), value, `"${name}" should be ${value ? 'checked' : 'unchecked'}`);
      };
      await expectBox('Always need approval', settings.approval.always);
      await expectBox('Approval for full mode', settings.approval.full_mode);
      await expectBox('Approval for protected accounts', settings.approval.protected_accounts);
      for (const [slug, role] of [['user', 'User'], ['team-admin', 'Team Admin'], ['operator', 'Operator'], ['admin', 'Admin']]) {
        await expectBox(`Approval for targets: ${role}`, settings.approval.target_roles.includes(slug));
      }
      const consent = page.getByRole('combobox', { name: 'Consent', exact: true });
      assert.deepEqual(
        await consent.locator('option').evaluateAll((os) => os.map((x) => x.textContent.trim())),
        ['Never', 'For full mode', 'Always'],
        'the Consent options',
      );
      assert.equal(await consent.inputValue(), settings.consent, 'Consent');
      await expectBox('Notify the person acted as', settings.notify_target);
      const protectedAccounts = page.getByRole('combobox', { name: 'Protected accounts', exact: true });
      assert.deepEqual(
        await protectedAccounts.locator('option').evaluateAll((os) => os.map((x) => x.textContent.trim())),
        ['Need approval', 'Refused'],
        'the Protected accounts options',
      );
      assert.equal(await protectedAccounts.inputValue(), settings.protected_accounts, 'Protected accounts');
      const max = page.getByRole('spinbutton', { name: 'Maximum duration (seconds)', exact: true });
      assert.equal(await max.inputValue(), String(settings.max_duration_seconds), 'Maximum duration (seconds)');
      for (const [slug, role] of [['user', 'User'], ['team-admin', 'Team Admin'], ['operator', 'Operator'], ['admin', 'Admin'], ['super-admin', 'Super Admin']]) {
        await expectBox(`Full mode allowed for: ${role}`, settings.full_mode_roles.includes(slug));
      }
      const stepUp = page.getByRole('spinbutton', { name: 'Fresh sign-in within (seconds)', exact: true });
      assert.equal(await stepUp.inputValue(), String(settings.step_up.max_age_seconds), 'Fresh sign-in within (seconds)');
      await expectBox('Fresh sign-in for read-only starts too', settings.step_up.read_only_starts);
      await screenshot(page, 'settings');
    });

    await step('axe-core: no serious or critical violation on Settings', async () => {
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, formatViolations('settings', violations));
    });

    await step('Save with an unchanged form saves nothing', async () => {
      await page.getByRole('button', { name: 'Save settings', exact: true }).click();
      await appear(page, page.getByRole('status').filter({ hasText: /Nothing to save/ }));
    });

    await step('a maximum duration beyond the deployment\'s: the 422 is a readable alert naming the setting; nothing changes', async () => {
      const max = page.getByRole('spinbutton', { name: 'Maximum duration (seconds)', exact: true });
      guard.watch('max_duration_seconds', settings); // restored if the server took it after all
      await max.fill('999999999');
      await page.getByRole('button', { name: 'Save settings', exact: true }).click();
      const alert = page.getByRole('alert').filter({ hasText: /\S/ });
      await alert.first().waitFor();
      const text = (await alert.first().innerText()).trim();
      assert.match(text, /not saved/i, `alert: ${text}`);
      assert.match(text, /Maximum duration/i, `the alert does not name the setting: ${text}`);
      assert.doesNotMatch(text, /[{}]|"status"|"message"|HTTP \d{3}/, `the alert is not readable: ${text}`);
      assert.equal(await max.getAttribute('aria-invalid'), 'true', 'the field is not marked invalid');
      assert.ok(await max.evaluate((e) => e === document.activeElement), 'the invalid field is not focused');
      await screenshot(page, 'settings-422', { fullPage: false });
      const now = await guard.read();
      assert.equal(now.max_duration_seconds, settings.max_duration_seconds, 'the refused value was stored');
    });
  } finally {
    await guard.restore().catch((error) => console.error(error.message));
    await context.close();
  }
});

test('3. who is offered Requests and Settings: operator, team admin, plain user, super-admin (with Tenant)', options, async () => {
  const opened = [];
  let current = null;
  const log = [];
  const step = stepper('g3-nav', () => current, log);
  try {
    // One context per user: each signs in on a fresh page.
    const offers = async (username, requests, settings) => {
      const p = await newPage(browser);
      opened.push(p.context);
      current = p.page;
      log.length = 0;
      log.push(`--- ${username} ---`);
      p.page.on('console', (m) => { if (m.type() === 'error') log.push(`console.error: ${m.text()}`); });
      await signIn(p.page, stack, username);
      await navLink(p.page, 'Who acted as me').waitFor();
      await settled(p.page);
      assert.equal(await navLink(p.page, 'Requests').count(), requests ? 1 : 0, `${username}: "Requests" ${requests ? 'missing' : 'offered'}`);
      assert.equal(await navLink(p.page, 'Settings').count(), settings ? 1 : 0, `${username}: "Settings" ${settings ? 'missing' : 'offered'}`);
      return p.page;
    };
    await step('acme-operator: Requests, no Settings', () => offers('acme-operator', true, false));
    await step('acme-team-admin: Requests, no Settings', () => offers('acme-team-admin', true, false));
    await step('acme-support-2: neither; #/settings typed in offers no form', async () => {
      const page = await offers('acme-support-2', false, false);
      await page.goto(`${stack.consoleUrl}#/settings`);
      await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
      await settled(page);
      assert.equal(await page.getByRole('button', { name: 'Save settings', exact: true }).count(), 0, 'a plain user is offered the settings form');
    });
    await step('acme-super: both; Settings has a Tenant input and loads globex\'s settings', async () => {
      const page = await offers('acme-super', true, true);
      await openFromNav(page, 'Settings', page.getByRole('button', { name: 'Save settings', exact: true }));
      const tenant = page.getByLabel('Tenant', { exact: true });
      await tenant.fill('globex');
      await page.getByRole('button', { name: 'Load settings', exact: true }).click();
      await appear(page, page.getByRole('heading', { name: 'Settings of globex', exact: true }));
      await settled(page);
      const r = await apiCall('GET', '/auth/settings?tenant=globex', await idToken('acme-super'));
      assert.equal(r.status, 200, `GET /auth/settings?tenant=globex as acme-super: ${r.status} ${r.text}`);
      assert.equal(r.json.tenant, 'globex', `tenant: ${r.text}`);
      assert.equal(
        await page.getByRole('spinbutton', { name: 'Maximum duration (seconds)', exact: true }).inputValue(),
        String(r.json.max_duration_seconds),
        'globex\'s maximum duration',
      );
    });
  } finally {
    for (const c of opened) await c.close();
  }
});

test('4. Who acted as me: requests waiting for consent, and "Protect my account" (acme-super, whom nobody may act as)', options, async () => {
  const { context, page, log } = await newPage(browser);
  const step = stepper('g4-protection', page, log);
  let token;
  let original = null;
  try {
    await step('sign in as acme-super; the checkbox shows the API\'s protection; the consent section is there', async () => {
      token = await idToken('acme-super');
      const r = await apiCall('GET', '/auth/users/me/protection', token);
      assert.equal(r.status, 200, `GET /auth/users/me/protection: ${r.status} ${r.text}`);
      assert.equal(typeof r.json?.protected, 'boolean', `"protected" is not a boolean: ${r.text}`);
      assert.equal(r.json.username, 'acme-super', `username: ${r.text}`);
      original = r.json.protected;
      await signIn(page, stack, 'acme-super');
      const box = page.getByRole('checkbox', { name: 'Protect my account', exact: true });
      await openFromNav(page, 'Who acted as me', box);
      await oneHeading(page, 'Who acted as me');
      await settled(page);
      await eventually(() => box.isEnabled(), 'the checkbox stays disabled (protection not loaded)');
      assert.equal(await box.isChecked(), original, 'the checkbox does not show the API\'s value');
      await page.getByRole('heading', { name: 'Requests waiting for your consent', exact: true }).waitFor();
    });

    await step('checking it protects the account (PUT), unchecking unprotects it; each says so (role=status)', async () => {
      const box = page.getByRole('checkbox', { name: 'Protect my account', exact: true });
      for (const want of [!original, original]) {
        await box.setChecked(want);
        await appear(page, page.getByRole('status').filter({ hasText: want ? /is protected/ : /no longer protected/ }));
        const r = await apiCall('GET', '/auth/users/me/protection', token);
        assert.equal(r.json?.protected, want, `after ${want ? 'checking' : 'unchecking'}: ${r.text}`);
        await eventually(() => box.isEnabled(), 'the checkbox stays disabled after saving');
      }
    });

    await step('axe-core: no serious or critical violation on Who acted as me', async () => {
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, formatViolations('who-acted-as-me (governance)', violations));
    });
  } finally {
    if (original !== null && token) {
      const r = await apiCall('GET', '/auth/users/me/protection', token).catch(() => null);
      if (r?.json && r.json.protected !== original) await apiCall('PUT', '/auth/users/me/protection', token, { protected: original });
    }
    await context.close();
  }
});

test('5. Requests and Settings at 320 px: no horizontal scroll, controls reachable; axe on Requests', options, async () => {
  const { context, page, log } = await newPage(browser, { width: 320, height: 640 });
  const step = stepper('g5-320', page, log);
  try {
    await step('acme-admin at 320 px: Requests', async () => {
      await signIn(page, stack, 'acme-admin');
      await openFromNav(page, 'Requests', page.getByRole('heading', { name: 'Waiting for your decision', exact: true }));
      await settled(page);
      await page.getByRole('heading', { name: 'Your requests', exact: true }).waitFor();
      await noHorizontalScroll(page, 'Requests at 320 px');
      const violations = await axeViolations(page);
      assert.equal(violations.length, 0, formatViolations('requests (320 px)', violations));
      await screenshot(page, 'requests-320');
    });
    await step('Settings at 320 px: no horizontal scroll; Save inside the width', async () => {
      const save = page.getByRole('button', { name: 'Save settings', exact: true });
      await openFromNav(page, 'Settings', save);
      await settled(page);
      await noHorizontalScroll(page, 'Settings at 320 px');
      const box = await save.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 320.5, `Save settings is outside the width: ${JSON.stringify(box)}`);
      await screenshot(page, 'settings-320');
    });
  } finally {
    await context.close();
  }
});

test('6. step-up: a stale sign-in starting Full gets "Sign in again"; the console resumes the start after it', options, async () => {
  // acme's step_up is on (full starts only, a few seconds) from just after acme-operator signs in
  // until the resumed start has answered: the one window where acme's full starts ask for it.
  const MAX_AGE = 4;
  const operator = await newPage(browser);
  const o = operator.page;
  const step = stepper('g6-step-up', () => o, operator.log);
  const guard = settingsGuard('test 6: step_up');
  let payload = null;
  let stopped = false;
  const starts = /\/api\/public\/coworkers\/[^/]+\/impersonate/;
  try {
    let signedInAt = 0;
    await step('acme-operator signs in; Act as acme-support-1: Full, reason, ticket (not started yet)', async () => {
      await signIn(o, stack, 'acme-operator');
      signedInAt = Date.now();
      const search = o.getByLabel('Search people', { exact: true });
      await openFromNav(o, 'Act as', search);
      await search.fill('acme-support-1');
      const pick = o.getByRole('button', { name: 'Act as acme-support-1', exact: true });
      await appear(o, pick);
      await pick.click();
      await o.getByRole('radio', { name: 'Full', exact: true }).check();
      await o.getByLabel('Reason', { exact: true }).fill(`${REASON} (step-up)`);
      await o.getByLabel('Ticket', { exact: true }).fill(TICKET);
    });

    await step(`acme's step_up (API, as acme-admin): ${MAX_AGE} s for full starts; the sign-in grows older than that`, async () => {
      const before = await guard.read();
      guard.previous = before;
      await guard.change({ step_up: { max_age_seconds: MAX_AGE, read_only_starts: false } });
      const wait = signedInAt + (MAX_AGE + 1) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    });

    let refusal = null;
    await step('Start impersonation: 401 step_up_required; the console says why and asks for the password (role=alert)', async () => {
      const answer = o.waitForResponse((r) => starts.test(r.url()));
      await o.getByRole('button', { name: 'Start impersonation', exact: true }).click();
      const first = await answer;
      refusal = { status: first.status(), json: await first.json().catch(() => null) };
      assert.equal(refusal.status, 401, `the stale start answered ${refusal.status}: ${JSON.stringify(refusal.json)}`);
      assert.equal(refusal.json?.status, 'error', JSON.stringify(refusal.json));
      assert.equal(refusal.json?.reason, 'step_up_required', JSON.stringify(refusal.json));
      assert.equal(refusal.json?.max_age_seconds, MAX_AGE, JSON.stringify(refusal.json));
      const alert = o.getByRole('alert').filter({ hasText: /signed in within the last 4 seconds/ });
      await alert.waitFor();
      await o.getByLabel('Password', { exact: true }).waitFor();
      assert.ok(!/demo\.html/.test(o.url()), 'the sample app opened without a fresh sign-in');
      assert.ok(!/#\/sign-in/.test(o.url()), 'a step-up is not a sign-out: the page stays');
      await screenshot(o, 'step-up');
      const violations = await axeViolations(o);
      assert.deepEqual(violations, [], formatViolations('act as, asking to sign in again', violations));
    });

    await step('"Sign in again" with the password: the same start resumes and the sample app opens', async () => {
      const resumed = o.waitForResponse((r) => starts.test(r.url()));
      await o.getByLabel('Password', { exact: true }).fill(user(stack, 'acme-operator').password);
      await o.getByRole('button', { name: 'Sign in again', exact: true }).click();
      const second = await resumed;
      assert.equal(second.status(), 200, `the resumed start answered ${second.status()}: ${await second.text().catch(() => '')}`);
      await o.waitForURL(/\/demo\.html/);
    });
    await guard.restore();
    console.log(`  acme's step_up was on for ${(guard.onMs / 1000).toFixed(1)} s`);

    await step('the sample app: acme-support-1, Full, for acme-operator; acme\'s step_up is back', async () => {
      const banner = o.getByRole('region', { name: 'Impersonation', exact: true });
      await banner.waitFor();
      payload = await o.evaluate(() => JSON.parse(sessionStorage.getItem('actas.session') || 'null'));
      assert.equal(payload?.username, 'acme-support-1', JSON.stringify(payload)?.slice(0, 300));
      assert.equal(payload.impersonation.actor?.username, 'acme-operator');
      assert.equal(payload.impersonation.mode, 'full');
      const now = await guard.read();
      assert.deepEqual(now.step_up, guard.previous.step_up, 'step_up is not restored');
    });

    await step('Stop from the banner', async () => {
      const banner = o.getByRole('region', { name: 'Impersonation', exact: true });
      await banner.getByRole('button', { name: 'Stop impersonation', exact: true }).click();
      await o.waitForURL(/#\/active/);
      stopped = true;
    });
  } finally {
    await guard.restore().catch((error) => console.error(error.message));
    payload ??= await o.evaluate(() => JSON.parse(sessionStorage.getItem('actas.session') || 'null')).catch(() => null);
    if (payload?.impersonation?.id && !stopped) {
      await api.stop(stack, await idToken('acme-operator'), payload.impersonation.id).catch(() => undefined);
    }
    await operator.context.close();
  }
});

test('7. step-up on approving: a stale sign-in approving gets "Sign in again"; the approval resumes after it', options, async () => {
  // acme's approval.always is on only around the API start that asks (about a second); acme's
  // step_up (full starts and approvals, a few seconds) from after acme-admin's sign-in until the
  // resumed approval has answered.
  const MAX_AGE = 4;
  const admin = await newPage(browser);
  const a = admin.page;
  const step = stepper('g7-step-up-approve', () => a, admin.log);
  const guard = settingsGuard('test 7: approval.always, then step_up');
  const reason = `${REASON} (step-up approval)`;
  const approves = (r) => /\/auth\/requests\/[^/]+\/approve$/.test(new URL(r.url()).pathname);
  let requestId = null;
  try {
    await step('acme-operator asks to act as acme-support-1 (API) while acme needs approval: 202', async () => {
      const before = await guard.read();
      guard.previous = before;
      const token = await idToken('acme-operator');
      const target = user(stack, 'acme-support-1').sub;
      await guard.during({ approval: { ...before.approval, always: true } }, async () => {
        const r = await apiCall('POST', `/auth/impersonate?uuid=${encodeURIComponent(target)}`, token, { reason, ticket: TICKET, mode: 'read_only' });
        assert.equal(r.status, 202, `the start answered ${r.status}: ${r.text}`);
        requestId = r.json.id;
      });
    });

    let signedInAt = 0;
    await step('acme-admin signs in; Requests lists it', async () => {
      await signIn(a, stack, 'acme-admin');
      signedInAt = Date.now();
      await openFromNav(a, 'Requests', requestItem(a, reason));
    });

    await step(`acme's step_up (API): ${MAX_AGE} s; the sign-in grows older than that`, async () => {
      await guard.change({ step_up: { max_age_seconds: MAX_AGE, read_only_starts: false } });
      const wait = signedInAt + (MAX_AGE + 1) * 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    });

    await step('Approve: 401 step_up_required; the page says why and asks for the password; nothing is decided', async () => {
      const answer = a.waitForResponse(approves);
      await requestItem(a, reason).getByRole('button', { name: 'Approve request from acme-operator to act as acme-support-1', exact: true }).click();
      const first = await answer;
      const json = await first.json().catch(() => null);
      assert.equal(first.status(), 401, `the stale approval answered ${first.status()}: ${JSON.stringify(json)}`);
      assert.equal(json?.reason, 'step_up_required', JSON.stringify(json));
      assert.equal(json?.max_age_seconds, MAX_AGE, JSON.stringify(json));
      await a.getByRole('alert').filter({ hasText: /signed in within the last 4 seconds/ }).waitFor();
      await a.getByLabel('Password', { exact: true }).waitFor();
      const mine = await apiCall('GET', '/auth/requests?mine=true', await idToken('acme-operator'));
      const request = mine.json?.requests?.find((x) => x.id === requestId);
      assert.equal(request?.status, 'pending', `decided without a fresh sign-in: ${JSON.stringify(request)}`);
    });

    await step('"Sign in again": the approval resumes and is made', async () => {
      const resumed = a.waitForResponse(approves);
      await a.getByLabel('Password', { exact: true }).fill(user(stack, 'acme-admin').password);
      await a.getByRole('button', { name: 'Sign in again', exact: true }).click();
      const second = await resumed;
      assert.equal(second.status(), 200, `the resumed approval answered ${second.status()}: ${await second.text().catch(() => '')}`);
      await a.getByRole('status').filter({ hasText: /Approved the request from acme-operator/ }).waitFor();
    });
    await guard.restore();
    console.log(`  acme's approval.always and step_up were on for ${(guard.onMs / 1000).toFixed(1)} s in all`);

    await step('API: approved by acme-admin; acme\'s settings are back', async () => {
      const mine = await apiCall('GET', '/auth/requests?mine=true', await idToken('acme-operator'));
      const request = mine.json?.requests?.find((x) => x.id === requestId);
      assert.equal(request?.status, 'approved', JSON.stringify(request));
      const now = await guard.read();
      assert.deepEqual(now.step_up, guard.previous.step_up, 'step_up is not restored');
      assert.deepEqual(now.approval, guard.previous.approval, 'approval is not restored');
    });
  } finally {
    await guard.restore().catch((error) => console.error(error.message));
    await admin.context.close();
  }
});
