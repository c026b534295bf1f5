// Integration tests against the real local actas stack. They run only when ACTAS_STACK_FILE names
// the stack file (.local/stack.json); then every problem fails them, a missing file included.
//
//   ACTAS_STACK_FILE=$PWD/../../.local/stack.json npm test

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { ActasApiError, ActasClient, decodeClaims, readSession } from '../dist/index.js';
import { SESSION_REVOKED, actasMiddleware, createSetReceiver, createVerifier, memoryRevokedSessions } from '../dist/node.js';
import { listen, readBody } from './support.mjs';

const STACK_FILE = process.env.ACTAS_STACK_FILE;
const TIMEOUT = 120_000;

/** The stack file, with its keys read in either spelling (camelCase or snake_case). */
function loadStack() {
  assert.ok(existsSync(STACK_FILE), `ACTAS_STACK_FILE=${STACK_FILE} does not exist: is the stack up?`);
  const raw = JSON.parse(readFileSync(STACK_FILE, 'utf8'));
  const get = (name) => {
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const value = raw[name] ?? raw[snake];
    assert.ok(value !== undefined && value !== null, `stack file has no ${name} / ${snake}`);
    return value;
  };
  const users = get('users');
  const user = (username) => {
    const found = users.find((u) => u.username === username);
    assert.ok(found, `stack file has no user ${username}`);
    return found;
  };
  return {
    apiUrl: get('apiUrl'),
    endpoint: get('endpoint'),
    region: get('region'),
    jwksUrl: get('jwksUrl'),
    issuer: get('tokenIssuer'),
    clientIds: [get('signInClientId'), get('impersonationClientId'), get('revertClientId')],
    signInClientId: get('signInClientId'),
    user,
  };
}

if (!STACK_FILE) {
  test('integration tests against the local stack', {
    skip: 'ACTAS_STACK_FILE is not set (set it to .local/stack.json to run them)',
  }, () => {});
} else describe('against the local stack', { timeout: 10 * TIMEOUT }, () => {
  let stack;
  let client;
  let verifierOptions;
  let admin; // acme-admin's own tokens
  let readOnly; // a read_only session payload: acme-admin as acme-support-1
  const started = []; // [impersonationId, stopper's token] to clean up

  let plain; // node:http server behind the middleware
  let revoking; // the same, with the revocation check on

  /** GET and POST a protected server with a token. */
  async function call(srv, method, token) {
    const response = await fetch(`${srv.url}/orders`, { method, headers: { authorization: `Bearer ${token}` } });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined, type: response.headers.get('content-type') };
  }

  async function protectedServer(options) {
    const middleware = actasMiddleware(options);
    return listen((req, res) =>
      middleware(req, res, () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: true, username: req.actas.username, mode: req.actas.mode }));
      }),
    );
  }

  async function start(options, token) {
    const payload = await client.impersonate(options, token);
    started.push([payload.impersonation.id, token]);
    return payload;
  }

  before(async () => {
    stack = loadStack();
    client = new ActasClient({ apiUrl: stack.apiUrl, cognitoEndpoint: stack.endpoint, signInClientId: stack.signInClientId });
    verifierOptions = { jwksUrl: stack.jwksUrl, issuer: stack.issuer, clientIds: stack.clientIds };
    admin = await client.signIn('acme-admin', stack.user('acme-admin').password);
    readOnly = await start(
      { uuid: stack.user('acme-support-1').sub, mode: 'read_only', reason: 'JS client integration test (read-only)' },
      admin.idToken,
    );
    plain = await protectedServer({ verifier: verifierOptions });
    revoking = await protectedServer({ verifier: createVerifier(verifierOptions), revocation: { apiUrl: stack.apiUrl } });
  });

  after(async () => {
    for (const [id, token] of started) {
      await client.stop(id, token).catch(() => {}); // stopping twice is harmless
    }
    await plain?.close();
    await revoking?.close();
  });

  test('readSession shows the read-only impersonation', () => {
    const s = readSession(readOnly);
    assert.equal(s.username, 'acme-support-1');
    assert.equal(s.sub, stack.user('acme-support-1').sub);
    assert.equal(s.isImpersonating, true);
    assert.deepEqual(s.actor, { sub: stack.user('acme-admin').sub, username: 'acme-admin' });
    assert.equal(s.impersonationId, readOnly.impersonation.id);
    assert.equal(s.mode, 'read_only');
    assert.equal(s.mayWrite, false);
    assert.ok(s.endsAt instanceof Date);
    assert.ok(Math.abs(s.endsAt.getTime() - Date.parse(readOnly.impersonation.expires_at)) < 1000, 'endsAt is the hard end');
    assert.ok(s.expiresAt.getTime() <= s.endsAt.getTime() + 1000, 'tokens do not outlive the impersonation');
  });

  test('contract: the read-only start carries mode in the payload, the tokens and the check', { timeout: TIMEOUT }, async () => {
    // Every mismatch is listed, not just the first.
    const access = decodeClaims(readOnly.session.accessToken);
    const scopes = String(access.scope ?? '').split(/\s+/);
    const status = await client.checkToken(readOnly.token);
    assert.equal(status.valid, true);
    assert.deepEqual(
      contractProblems([
        [readOnly.impersonation.mode === 'read_only', `payload impersonation.mode is ${readOnly.impersonation.mode}`],
        [decodeClaims(readOnly.token).impersonation_mode === 'read_only', 'id token lacks impersonation_mode read_only'],
        [access.impersonation_mode === 'read_only', 'access token lacks impersonation_mode read_only'],
        [!scopes.includes('actas/write'), 'read-only access token has actas/write'],
        [scopes.includes('actas/read'), `read-only access token lacks actas/read (scope "${access.scope}")`],
        [status.impersonation?.mode === 'read_only', `/auth/token impersonation.mode is ${status.impersonation?.mode}`],
      ]),
      [],
    );
  });

  test('the verifier accepts the real tokens (JWKS from the stack)', { timeout: TIMEOUT }, async () => {
    const verifier = createVerifier(verifierOptions);
    const id = await verifier.verify(readOnly.session.authorization);
    assert.equal(id.tokenUse, 'id');
    assert.equal(id.username, 'acme-support-1');
    assert.equal(id.actor?.username, 'acme-admin');
    assert.equal(id.mayWrite, false);
    const access = await verifier.verify(`Bearer ${readOnly.session.accessToken}`);
    assert.equal(access.tokenUse, 'access');
    assert.equal(access.clientId, readOnly.clientId);
    assert.equal(access.impersonationId, readOnly.impersonation.id);
    const own = await verifier.verify(admin.idToken);
    assert.equal(own.username, 'acme-admin');
    assert.equal(own.isImpersonating, false);
    // Same tokens, but only the sign-in client accepted: the impersonation client's are refused.
    const strict = createVerifier({ ...verifierOptions, clientIds: [stack.signInClientId] });
    await assert.rejects(strict.verify(readOnly.token), { status: 401 });
  });

  test('the middleware passes a GET and refuses a POST from the read-only session', { timeout: TIMEOUT }, async () => {
    const get = await call(plain, 'GET', readOnly.token);
    assert.equal(get.status, 200);
    assert.equal(get.json.username, 'acme-support-1');
    const post = await call(plain, 'POST', readOnly.token);
    assert.equal(post.status, 403);
    assert.match(post.type, /^application\/json/);
    assert.equal(post.json.status, 'error');
    assert.match(post.json.message, /read-only/);
    assert.equal((await call(plain, 'DELETE', readOnly.session.accessToken)).status, 403);
  });

  test("acme-admin's own session passes the POST", { timeout: TIMEOUT }, async () => {
    const post = await call(plain, 'POST', admin.idToken);
    assert.equal(post.status, 200);
    assert.equal(post.json.username, 'acme-admin');
  });

  test('with the revocation check, a stop is refused at once (401)', { timeout: TIMEOUT }, async () => {
    assert.equal((await call(revoking, 'GET', readOnly.token)).status, 200);
    const stopped = await client.stop(readOnly.impersonation.id, admin.idToken);
    assert.equal(stopped.status, 'ended');
    const afterStop = await call(revoking, 'GET', readOnly.token);
    assert.equal(afterStop.status, 401);
    assert.equal(afterStop.json.status, 'error');
    // Without the check the token still verifies: it is signed and not expired.
    assert.equal((await call(plain, 'GET', readOnly.token)).status, 200);
    assert.equal((await client.checkToken(readOnly.token)).valid, false);
  });

  test('contract: a full start passes the POST', { timeout: TIMEOUT }, async () => {
    const full = await start(
      { uuid: stack.user('acme-support-1').sub, mode: 'full', reason: 'JS client integration test (full)' },
      admin.idToken,
    );
    const post = await call(plain, 'POST', full.token);
    assert.equal(post.status, 200, `a full session's POST was refused: ${JSON.stringify(post.json)}`);
    assert.equal(post.json.mode, 'full');
    assert.equal(readSession(full).mayWrite, true);
    await client.stop(full.impersonation.id, admin.idToken);
  });

  test('seed 002: acme-team-admin → acme-support-2 is read-only by default', { timeout: TIMEOUT }, async () => {
    const teamAdmin = await client.signIn('acme-team-admin', stack.user('acme-team-admin').password);
    const token = await client.requestCoworkerToken('acme-support-2', { reason: 'JS client integration test (seed 002)' }, teamAdmin.idToken);
    assert.equal(typeof token, 'string');
    const payload = await client.exchangeToken(token);
    started.push([payload.impersonation.id, teamAdmin.idToken]);
    const s = readSession(payload);
    assert.equal(s.username, 'acme-support-2');
    assert.equal(s.isImpersonating, true);
    assert.equal(s.actor?.username, 'acme-team-admin');
    assert.equal(s.mode, 'read_only');
    assert.equal(s.mayWrite, false);
    assert.equal((await call(plain, 'POST', payload.token)).status, 403);
    // The exchange token is single use: a second exchange is an ActasApiError with the server's message.
    await assert.rejects(client.exchangeToken(token), (err) => {
      assert.ok(err instanceof ActasApiError);
      assert.equal(err.status, 401);
      assert.ok(err.message.length > 0 && !err.message.includes(token));
      return true;
    });
    await client.stop(payload.impersonation.id, teamAdmin.idToken);
  });

  test('contract: the governance routes answer as the client types them (reads only, nothing changed)', { timeout: TIMEOUT }, async () => {
    const settings = await client.settings(admin.idToken);
    const own = await client.requests({ mine: true }, admin.idToken);
    const decidable = await client.requests({}, admin.idToken);
    const support = await client.signIn('acme-support-2', stack.user('acme-support-2').password);
    const protection = await client.protection('me', support.idToken);
    const aboutMe = await client.requests({ target: 'me' }, support.idToken);
    assert.deepEqual(
      contractProblems([
        [settings.tenant === 'acme', `settings.tenant is ${settings.tenant}`],
        [typeof settings.approval?.always === 'boolean', 'settings.approval.always is not a boolean'],
        [typeof settings.approval?.full_mode === 'boolean', 'settings.approval.full_mode is not a boolean'],
        [typeof settings.approval?.protected_accounts === 'boolean', 'settings.approval.protected_accounts is not a boolean'],
        [Array.isArray(settings.approval?.target_roles), 'settings.approval.target_roles is not an array'],
        [['never', 'full', 'always'].includes(settings.consent), `settings.consent is ${settings.consent}`],
        [typeof settings.notify_target === 'boolean', 'settings.notify_target is not a boolean'],
        [['approval', 'refuse'].includes(settings.protected_accounts), `settings.protected_accounts is ${settings.protected_accounts}`],
        [Number.isInteger(settings.max_duration_seconds) && settings.max_duration_seconds >= 300, `settings.max_duration_seconds is ${settings.max_duration_seconds}`],
        [Array.isArray(settings.full_mode_roles), 'settings.full_mode_roles is not an array'],
        ['updated_at' in settings && 'updated_by' in settings, 'settings lack updated_at / updated_by'],
        [Array.isArray(own.requests), 'GET /auth/requests?mine=true has no requests array'],
        [Array.isArray(decidable.requests), 'GET /auth/requests has no requests array'],
        [decidable.requests.every((r) => r.requester?.username !== 'acme-admin'), 'GET /auth/requests lists the caller\'s own requests'],
        [Array.isArray(aboutMe.requests), 'GET /auth/requests?target=me has no requests array'],
        [protection.username === 'acme-support-2' && typeof protection.protected === 'boolean', `protection of me: ${JSON.stringify(protection)}`],
      ]),
      [],
    );
  });

  test('contract: the seed 002 payload says read_only', { timeout: TIMEOUT }, async () => {
    const teamAdmin = await client.signIn('acme-team-admin', stack.user('acme-team-admin').password);
    const token = await client.requestCoworkerToken('acme-support-2', { reason: 'JS client integration test (seed 002 mode)' }, teamAdmin.idToken);
    const payload = await client.exchangeToken(token);
    started.push([payload.impersonation.id, teamAdmin.idToken]);
    assert.deepEqual(
      contractProblems([
        [payload.impersonation.mode === 'read_only', `payload impersonation.mode is ${payload.impersonation.mode}`],
        [decodeClaims(payload.token).impersonation_mode === 'read_only', 'id token lacks impersonation_mode read_only'],
      ]),
      [],
    );
  });

  test('Shared Signals: a stop arrives as a SET and the middleware refuses the session offline', { timeout: TIMEOUT }, async () => {
    // A receiver registered with the CLI (its credential shown once), removed at the end.
    const cli = fileURLToPath(new URL(`../../../target/${process.env.ACTAS_PROFILE ?? 'local'}/actas`, import.meta.url));
    const env = { ...process.env };
    delete env.AWS_REGION;
    delete env.AWS_DEFAULT_REGION; // the CLI then takes the local stack's settings from the stack file
    const run = (...args) => JSON.parse(execFileSync(cli, [...args, '--stack', STACK_FILE], { env, encoding: 'utf8' }).trim());
    const receiver = run('ssf', 'receiver', 'add', '--name', 'it-node', '--audience', 'it-node');
    const revoked = memoryRevokedSessions();
    try {
      const metadata = await (await fetch(`${stack.apiUrl}/.well-known/ssf-configuration`)).json();
      const receiving = createSetReceiver({
        issuer: metadata.issuer,
        audience: 'it-node',
        jwksUrl: metadata.jwks_uri,
        revokedSessions: revoked,
      });
      const answers = [];
      const endpoint = await listen(async (req, res) => {
        const body = await readBody(req);
        const answer = await receiving.receive(body);
        answers.push(answer.status);
        res.statusCode = answer.status;
        res.end(answer.body ? JSON.stringify(answer.body) : undefined);
      });
      try {
        const created = await fetch(`${stack.apiUrl}/ssf/streams`, {
          method: 'POST',
          headers: { authorization: `Bearer ${receiver.credential}`, 'content-type': 'application/json' },
          body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `${endpoint.url}/events` }, events_requested: [SESSION_REVOKED] }),
        });
        assert.equal(created.status, 201);
        const offline = await protectedServer({ verifier: verifierOptions, revokedSessions: revoked });
        try {
          const session = await start(
            { uuid: stack.user('acme-support-1').sub, mode: 'read_only', reason: 'JS client integration test (Shared Signals)' },
            admin.idToken,
          );
          assert.equal((await call(offline, 'GET', session.token)).status, 200);
          await client.stop(session.impersonation.id, admin.idToken);
          const until = Date.now() + 30_000;
          while (!(await revoked.isRevoked(session.impersonation.id)) && Date.now() < until) {
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
          assert.ok(await revoked.isRevoked(session.impersonation.id), `no SET for the stopped session (answers: ${answers})`);
          const refused = await call(offline, 'GET', session.token);
          assert.equal(refused.status, 401);
          assert.match(refused.json.message, /revoked/);
        } finally {
          await offline.close();
        }
      } finally {
        await endpoint.close();
      }
    } finally {
      run('ssf', 'receiver', 'remove', '--id', receiver.id);
    }
  });
});

/** The messages of the checks that failed. */
function contractProblems(checks) {
  return checks.filter(([ok]) => !ok).map(([, message]) => message);
}
