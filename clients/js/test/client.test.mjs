import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ActasApiError, ActasClient, isPending, isStepUpRequired } from '../dist/index.js';
import { deadUrl, listen, readBody } from './support.mjs';

// A fake actas and Cognito: records each request and answers with `reply` (status, body, type).
let fake;
let requests = [];
let reply;

before(async () => {
  fake = await listen(async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url, 'http://x');
    requests.push({ method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
    const { status = 200, json, text, type = 'application/json' } = reply(req, url);
    res.statusCode = status;
    res.setHeader('content-type', type);
    res.end(json !== undefined ? JSON.stringify(json) : (text ?? ''));
  });
});
after(() => fake.close());
beforeEach(() => {
  requests = [];
  reply = () => ({ json: { ok: true } });
});

const client = () => new ActasClient({ apiUrl: `${fake.url}/v1/`, cognitoEndpoint: `${fake.url}/cognito/`, signInClientId: 'signin-client' });
const last = () => requests.at(-1);
const json = (r) => JSON.parse(r.body);

describe('requests', () => {
  test('signIn: Cognito InitiateAuth USER_PASSWORD_AUTH', async () => {
    reply = () => ({
      type: 'application/x-amz-json-1.1',
      json: { AuthenticationResult: { IdToken: 'id.t.k', AccessToken: 'ac.t.k', RefreshToken: 'rf', ExpiresIn: 3600, TokenType: 'Bearer' }, ChallengeParameters: {} },
    });
    const tokens = await client().signIn('acme-admin', 'pw');
    assert.deepEqual(tokens, { idToken: 'id.t.k', accessToken: 'ac.t.k', refreshToken: 'rf', expiresIn: 3600 });
    const r = last();
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/cognito/');
    assert.equal(r.headers['x-amz-target'], 'AWSCognitoIdentityProviderService.InitiateAuth');
    assert.equal(r.headers['content-type'], 'application/x-amz-json-1.1');
    assert.deepEqual(json(r), { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: 'signin-client', AuthParameters: { USERNAME: 'acme-admin', PASSWORD: 'pw' } });
  });

  test('signIn: a challenge is an error, not a session', async () => {
    reply = () => ({ json: { ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: 's' } });
    await assert.rejects(client().signIn('u', 'p'), { name: 'ActasApiError', code: 'NEW_PASSWORD_REQUIRED', message: /NEW_PASSWORD_REQUIRED/ });
  });

  test('signIn needs a client id and an endpoint; the region gives the AWS one', async () => {
    await assert.rejects(new ActasClient({ apiUrl: fake.url }).signIn('u', 'p'), TypeError);
    let seenUrl;
    const c = new ActasClient({
      apiUrl: fake.url,
      region: 'eu-west-1',
      signInClientId: 'c',
      fetch: async (url) => {
        seenUrl = url;
        return Response.json({ AuthenticationResult: { IdToken: 'a', AccessToken: 'b', RefreshToken: 'c', ExpiresIn: 1 } });
      },
    });
    await c.signIn('u', 'p');
    assert.equal(seenUrl, 'https://cognito-idp.eu-west-1.amazonaws.com/');
  });

  test('impersonate by uuid (seed 000): target in the query, reason and mode in the body', async () => {
    await client().impersonate({ uuid: 'sub-1', mode: 'read_only', reason: 'help' }, 'Bearer id-token');
    const r = last();
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/auth/impersonate');
    assert.deepEqual(r.query, { uuid: 'sub-1' });
    assert.equal(r.headers.authorization, 'Bearer id-token');
    assert.equal(r.headers['x-api-key'], undefined);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(json(r), { mode: 'read_only', reason: 'help' });
  });

  test('impersonate by username (seed 001): username in the body, the API key as X-API-Key', async () => {
    await client().impersonate({ username: 'acme-support-1', apiKey: 'actas.k.s', mode: 'full', reason: 'r', ticket: 'T-1' }, 'id-token');
    const r = last();
    assert.deepEqual(r.query, {});
    assert.equal(r.headers['x-api-key'], 'actas.k.s');
    assert.equal(r.headers.authorization, 'Bearer id-token');
    assert.deepEqual(json(r), { username: 'acme-support-1', mode: 'full', reason: 'r', ticket: 'T-1' });
  });

  test('impersonate needs exactly one of username and uuid', async () => {
    await assert.rejects(client().impersonate({ reason: 'r' }, 't'), TypeError);
    await assert.rejects(client().impersonate({ username: 'a', uuid: 'b' }, 't'), TypeError);
    assert.equal(requests.length, 0);
  });

  test('seed 002: coworker token (query) then exchange (path)', async () => {
    reply = () => ({ json: { token: 'two.step.token' } });
    const token = await client().requestCoworkerToken('acme support/2', { reason: 'a b&c', ticket: 'T', mode: 'full' }, 'tok');
    assert.equal(token, 'two.step.token');
    let r = last();
    assert.equal(r.method, 'GET');
    assert.equal(r.path, '/v1/api/public/coworkers/acme%20support%2F2/impersonate');
    assert.deepEqual(r.query, { reason: 'a b&c', ticket: 'T', mode: 'full' });
    assert.equal(r.body, '');

    reply = () => ({ json: { username: 'acme-support-2' } });
    assert.deepEqual(await client().exchangeToken(token), { username: 'acme-support-2' });
    r = last();
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1/api/public/auth/login/two.step.token');
    assert.equal(r.headers.authorization, undefined);
  });

  test('seed 003: sys token (coworkerId in the query) then exchange (body)', async () => {
    reply = () => ({ json: { token: 'sys.tok.en' } });
    assert.equal(await client().sysImpersonate('acme-sales-1', { reason: 'call' }, 'op'), 'sys.tok.en');
    assert.equal(last().path, '/v1/api/sys/users/impersonate');
    assert.deepEqual(last().query, { coworkerId: 'acme-sales-1', reason: 'call' });
    await client().sysExchange('sys.tok.en');
    assert.equal(last().method, 'POST');
    assert.equal(last().path, '/v1/api/sys/users/exchange');
    assert.deepEqual(json(last()), { token: 'sys.tok.en' });
  });

  test('stop, signOut, checkToken', async () => {
    await client().stop('imp/1', 'admin');
    assert.equal(last().method, 'DELETE');
    assert.equal(last().path, '/v1/auth/impersonations/imp%2F1');
    assert.equal(last().headers.authorization, 'Bearer admin');
    await client().signOut('imp-session');
    assert.equal(last().method, 'DELETE');
    assert.equal(last().path, '/v1/auth/impersonate');
    await client().checkToken('a.b.c');
    assert.equal(last().method, 'GET');
    assert.equal(last().path, '/v1/auth/token');
    assert.equal(last().headers.authorization, 'Bearer a.b.c');
  });

  test('revert takes the payload, or the revert token and the session', async () => {
    const payload = { impersonator_revert_token: 'id.secret', session: { accessToken: 'imp-access', authorization: 'imp-id' } };
    await client().revert(payload);
    assert.equal(last().path, '/v1/auth/impersonate/revert');
    assert.equal(last().headers.authorization, 'Bearer imp-access');
    assert.deepEqual(json(last()), { impersonator_revert_token: 'id.secret' });
    await client().revert('id.secret2', 'imp-id');
    assert.equal(last().headers.authorization, 'Bearer imp-id');
    assert.deepEqual(json(last()), { impersonator_revert_token: 'id.secret2' });
    await assert.rejects(client().revert({ impersonator_revert_token: null, session: { accessToken: 'x' } }), TypeError);
  });

  test('listImpersonations and profiles pass their query', async () => {
    await client().listImpersonations({ active: true, target: 'me', since: new Date(Date.UTC(2026, 0, 2)) }, 'tok');
    assert.equal(last().path, '/v1/auth/impersonations');
    assert.deepEqual(last().query, { active: 'true', target: 'me', since: '2026-01-02T00:00:00.000Z' });
    await client().listImpersonations({}, 'tok');
    assert.deepEqual(last().query, {});
    await client().profiles({ nextToken: 'n/1' }, 'tok');
    assert.equal(last().path, '/v1/api/public/coworkers/profiles');
    assert.deepEqual(last().query, { nextToken: 'n/1' });
  });
});

describe('console routes and refresh', () => {
  test('me: GET /auth/me with the bearer', async () => {
    reply = () => ({ json: { sub: 's', username: 'acme-admin', may_act_as: true, modes: ['read_only', 'full'] } });
    const me = await client().me('tok');
    assert.equal(me.username, 'acme-admin');
    assert.equal(last().method, 'GET');
    assert.equal(last().path, '/v1/auth/me');
    assert.equal(last().headers.authorization, 'Bearer tok');
  });

  test('audit: filters in the query, empty ones left out, times as RFC 3339', async () => {
    reply = () => ({ json: { records: [], next_token: null, page_size: 50 } });
    await client().audit(
      { actor: 'acme-admin', target: '', event: 'stopped', since: new Date(Date.UTC(2026, 0, 2)), until: '2026-01-03T00:00:00Z', nextToken: 'n/2' },
      'tok',
    );
    assert.equal(last().path, '/v1/auth/audit');
    assert.deepEqual(last().query, {
      actor: 'acme-admin',
      event: 'stopped',
      since: '2026-01-02T00:00:00.000Z',
      until: '2026-01-03T00:00:00Z',
      nextToken: 'n/2',
    });
    await client().audit({}, 'tok');
    assert.deepEqual(last().query, {});
  });

  test('refresh: REFRESH_TOKEN_AUTH at Cognito on the sign-in client, or at a payload endpoint and client', async () => {
    reply = () => ({ json: { AuthenticationResult: { IdToken: 'id2', AccessToken: 'ac2', ExpiresIn: 900 } } });
    assert.deepEqual(await client().refresh('rf-1'), { idToken: 'id2', accessToken: 'ac2', refreshToken: 'rf-1', expiresIn: 900 });
    assert.equal(last().path, '/cognito/');
    assert.equal(last().headers['x-amz-target'], 'AWSCognitoIdentityProviderService.InitiateAuth');
    assert.deepEqual(json(last()), { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: 'signin-client', AuthParameters: { REFRESH_TOKEN: 'rf-1' } });

    await client().refresh('rf-imp', { endpointUrl: `${fake.url}/v1/auth/cognito`, clientId: 'imp-client' });
    assert.equal(last().path, '/v1/auth/cognito');
    assert.deepEqual(json(last()), { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: 'imp-client', AuthParameters: { REFRESH_TOKEN: 'rf-imp' } });

    reply = () => ({ status: 400, json: { __type: 'NotAuthorizedException', message: 'the impersonation has ended' } });
    await assert.rejects(client().refresh('rf-1'), { status: 400, operation: 'refresh', code: 'NotAuthorizedException' });
    await assert.rejects(new ActasClient({ apiUrl: fake.url }).refresh('rf'), TypeError);
  });
});

// A 202 start: what the governance spec answers when a start needs approval or consent.
const REQUEST = {
  id: 'req-1',
  status: 'pending',
  approval: 'pending',
  consent: 'not_required',
  requester: { sub: 's-op', username: 'acme-operator' },
  target: { sub: 's-t', username: 'acme-support-1' },
  tenant: 'acme',
  mode: 'read_only',
  reason: 'help',
  ticket: null,
  created_at: '2026-01-02T10:00:00Z',
  expires_at: '2026-01-02T10:15:00Z',
  decided_by: null,
  comment: null,
};

const SETTINGS = {
  tenant: 'acme',
  approval: { always: false, full_mode: false, protected_accounts: true, target_roles: [] },
  consent: 'never',
  notify_target: false,
  protected_accounts: 'approval',
  max_duration_seconds: 3600,
  full_mode_roles: ['operator', 'admin', 'super-admin'],
  updated_at: null,
  updated_by: null,
};

describe('governance: starts that wait for approval or consent (202)', () => {
  test('requestCoworkerToken: 202 is a pending request, not an error and not a token', async () => {
    reply = () => ({ status: 202, json: REQUEST });
    const result = await client().requestCoworkerToken('acme-support-1', { reason: 'help', mode: 'read_only' }, 'tok');
    assert.ok(isPending(result));
    assert.deepEqual(result, { pending: true, request: REQUEST });
    // The same start, once approved, gets its token (200) as before.
    reply = () => ({ json: { token: 'two.step.token' } });
    const again = await client().requestCoworkerToken('acme-support-1', { reason: 'help', mode: 'read_only' }, 'tok');
    assert.equal(again, 'two.step.token');
    assert.equal(isPending(again), false);
  });

  test('impersonate: 202 is a pending request; 200 the session', async () => {
    reply = () => ({ status: 202, json: { ...REQUEST, approval: 'not_required', consent: 'pending' } });
    const result = await client().impersonate({ uuid: 's-t', reason: 'help' }, 'tok');
    assert.ok(isPending(result));
    assert.equal(result.request.consent, 'pending');
    assert.equal(last().path, '/v1/auth/impersonate');
    reply = () => ({ json: { username: 'acme-support-1', impersonation: { id: 'imp-1' } } });
    const session = await client().impersonate({ uuid: 's-t', reason: 'help' }, 'tok');
    assert.equal(isPending(session), false);
    assert.equal(session.impersonation.id, 'imp-1');
  });

  test('sysImpersonate: 202 is a pending request too', async () => {
    reply = () => ({ status: 202, json: REQUEST });
    assert.ok(isPending(await client().sysImpersonate('acme-support-1', { reason: 'r' }, 'op')));
  });

  test('a 202 that is not a request, or a 200 without a token, is an error', async () => {
    reply = () => ({ status: 202, json: { accepted: true } });
    await assert.rejects(client().requestCoworkerToken('x', {}, 't'), { name: 'ActasApiError', status: 202, message: /not a request/ });
    reply = () => ({ status: 200, json: { nope: 1 } });
    await assert.rejects(client().requestCoworkerToken('x', {}, 't'), { name: 'ActasApiError', status: 200, message: /no token/ });
  });

  test('a refused start is still an error (403 protected account refused)', async () => {
    reply = () => ({ status: 403, json: { status: 'error', message: 'acme-support-1 is a protected account' } });
    await assert.rejects(client().requestCoworkerToken('x', {}, 't'), { status: 403, message: 'acme-support-1 is a protected account' });
  });

  test('exchangeToken refuses a pending request passed on unchecked, without a request', async () => {
    await assert.rejects(client().exchangeToken({ pending: true, request: REQUEST }), TypeError);
    assert.equal(requests.length, 0);
  });

  test('isPending', () => {
    assert.equal(isPending({ pending: true, request: REQUEST }), true);
    assert.equal(isPending('a.b.c'), false);
    assert.equal(isPending(null), false);
    assert.equal(isPending({ pending: true }), false);
    assert.equal(isPending({ username: 'x' }), false);
  });
});

describe('governance routes', () => {
  test('settings: GET /auth/settings, ?tenant= only when given', async () => {
    reply = () => ({ json: SETTINGS });
    assert.deepEqual(await client().settings('tok'), SETTINGS);
    assert.equal(last().method, 'GET');
    assert.equal(last().path, '/v1/auth/settings');
    assert.deepEqual(last().query, {});
    assert.equal(last().headers.authorization, 'Bearer tok');
    await client().settings('globex', 'tok2');
    assert.deepEqual(last().query, { tenant: 'globex' });
    assert.equal(last().headers.authorization, 'Bearer tok2');
    await client().settings(undefined, 'tok3');
    assert.deepEqual(last().query, {});
    assert.equal(last().headers.authorization, 'Bearer tok3');
  });

  test('updateSettings: PUT the given keys only, ?tenant= when given', async () => {
    reply = () => ({ json: { ...SETTINGS, approval: { ...SETTINGS.approval, always: true } } });
    const changes = { approval: { ...SETTINGS.approval, always: true }, max_duration_seconds: 900 };
    const updated = await client().updateSettings(changes, 'tok');
    assert.equal(updated.approval.always, true);
    assert.equal(last().method, 'PUT');
    assert.equal(last().path, '/v1/auth/settings');
    assert.deepEqual(last().query, {});
    assert.equal(last().headers['content-type'], 'application/json');
    assert.deepEqual(json(last()), changes);
    await client().updateSettings({ consent: 'full' }, 'globex', 'tok');
    assert.deepEqual(last().query, { tenant: 'globex' });
    assert.deepEqual(json(last()), { consent: 'full' });
  });

  test('updateSettings: a 422 names the key', async () => {
    reply = () => ({ status: 422, json: { status: 'error', message: 'max_duration_seconds must be between 300 and 3600' } });
    await assert.rejects(client().updateSettings({ max_duration_seconds: 5 }, 'tok'), {
      name: 'ActasApiError', status: 422, operation: 'updateSettings', message: 'max_duration_seconds must be between 300 and 3600',
    });
  });

  test('requests: decidable by default, ?mine=true, ?target=me', async () => {
    reply = () => ({ json: { requests: [REQUEST] } });
    assert.deepEqual(await client().requests({}, 'tok'), { requests: [REQUEST] });
    assert.equal(last().path, '/v1/auth/requests');
    assert.deepEqual(last().query, {});
    await client().requests({ mine: true }, 'tok');
    assert.deepEqual(last().query, { mine: 'true' });
    await client().requests({ target: 'me' }, 'tok');
    assert.deepEqual(last().query, { target: 'me' });
    await client().requests({ mine: false, target: '' }, 'tok');
    assert.deepEqual(last().query, {});
  });

  test('approve and deny: POST with the comment; no comment sends {}', async () => {
    reply = () => ({ json: { ...REQUEST, status: 'approved', approval: 'approved' } });
    const approved = await client().approve('req/1', 'ok, SUP-1', 'tok');
    assert.equal(approved.status, 'approved');
    assert.equal(last().method, 'POST');
    assert.equal(last().path, '/v1/auth/requests/req%2F1/approve');
    assert.deepEqual(json(last()), { comment: 'ok, SUP-1' });
    await client().deny('req-1', '', 'tok');
    assert.equal(last().path, '/v1/auth/requests/req-1/deny');
    assert.deepEqual(json(last()), {});
    await client().deny('req-1', undefined, 'tok');
    assert.deepEqual(json(last()), {});
  });

  test('approve: 403 (own request) and 409 (decided already) are errors with the message', async () => {
    reply = () => ({ status: 409, json: { status: 'error', message: 'the request was decided already' } });
    await assert.rejects(client().approve('req-1', 'x', 'tok'), { status: 409, operation: 'approve', message: 'the request was decided already' });
    reply = () => ({ status: 403, json: { status: 'error', message: 'you cannot decide your own request' } });
    await assert.rejects(client().deny('req-1', 'x', 'tok'), { status: 403, operation: 'deny' });
  });

  test("approve with the approver's terms: duration_seconds and mode in the body", async () => {
    reply = () => ({ json: { ...REQUEST, status: 'approved', approval: 'approved', approved_mode: 'read_only', approved_duration_seconds: 1200 } });
    const approved = await client().approve('req-1', 'look only', 'tok', { duration_seconds: 1200, mode: 'read_only' });
    assert.equal(approved.approved_mode, 'read_only');
    assert.deepEqual(json(last()), { comment: 'look only', duration_seconds: 1200, mode: 'read_only' });
    reply = () => ({ status: 400, json: { status: 'error', message: 'an approval may narrow the mode (full to read_only), never widen it' } });
    await assert.rejects(client().approve('req-1', null, 'tok', { mode: 'full' }), { status: 400, operation: 'approve', message: /never widen/ });
  });

  test('step-up: a 401 with reason step_up_required is told apart, with the maximum age', async () => {
    reply = () => ({
      status: 401,
      json: { status: 'error', message: 'sign in again: this needs a sign-in from the last 900 seconds', reason: 'step_up_required', max_age_seconds: 900 },
    });
    const err = await client().approve('req-1', null, 'tok').catch((e) => e);
    assert.ok(isStepUpRequired(err));
    assert.equal(err.reason, 'step_up_required');
    assert.equal(err.maxAgeSeconds, 900);
    assert.match(err.message, /sign in again/);
    reply = () => ({ status: 401, json: { status: 'error', message: 'invalid token: expired' } });
    const plain = await client().approve('req-1', null, 'tok').catch((e) => e);
    assert.equal(plain.status, 401);
    assert.ok(!isStepUpRequired(plain), 'an ordinary 401 is not a step-up');
    assert.equal(plain.reason, undefined);
  });

  test('consent: POST {"accept"}', async () => {
    reply = () => ({ json: { ...REQUEST, consent: 'given' } });
    assert.equal((await client().consent('req-1', true, 'tok')).consent, 'given');
    assert.equal(last().path, '/v1/auth/requests/req-1/consent');
    assert.deepEqual(json(last()), { accept: true });
    await client().consent('req-1', false, 'tok');
    assert.deepEqual(json(last()), { accept: false });
  });

  test('protection and setProtection: /auth/users/{id}/protection', async () => {
    reply = () => ({ json: { sub: 's', username: 'acme-support-1', protected: false } });
    assert.equal((await client().protection('me', 'tok')).protected, false);
    assert.equal(last().method, 'GET');
    assert.equal(last().path, '/v1/auth/users/me/protection');
    await client().setProtection('acme support/1', true, 'tok');
    assert.equal(last().method, 'PUT');
    assert.equal(last().path, '/v1/auth/users/acme%20support%2F1/protection');
    assert.deepEqual(json(last()), { protected: true });
    await client().setProtection('me', false, 'tok');
    assert.deepEqual(json(last()), { protected: false });
  });
});

describe('errors', () => {
  test("a non-2xx throws ActasApiError with the status and the server's message", async () => {
    reply = () => ({ status: 403, json: { status: 'error', message: 'an admin cannot impersonate an admin' } });
    await assert.rejects(client().impersonate({ uuid: 'x' }, 't'), (err) => {
      assert.ok(err instanceof ActasApiError);
      assert.equal(err.status, 403);
      assert.equal(err.message, 'an admin cannot impersonate an admin');
      assert.equal(err.operation, 'impersonate');
      return true;
    });
  });

  test("Cognito's errors keep their name", async () => {
    reply = () => ({ status: 400, json: { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' } });
    await assert.rejects(client().signIn('u', 'wrong'), { status: 400, code: 'NotAuthorizedException', message: 'Incorrect username or password.' });
  });

  test('a body that is not JSON still gives a readable message', async () => {
    reply = () => ({ status: 502, type: 'text/html', text: '<html><body>Bad Gateway</body></html>' });
    await assert.rejects(client().checkToken('a.b.c'), (err) => {
      assert.equal(err.status, 502);
      assert.match(err.message, /checkToken: HTTP 502 Bad Gateway \(not a JSON answer\)/);
      assert.doesNotMatch(err.message, /html/);
      return true;
    });
    reply = () => ({ status: 500, text: '' });
    await assert.rejects(client().profiles({}, 't'), { status: 500, message: /HTTP 500/ });
    reply = () => ({ status: 404, json: { error: 'nope' } });
    await assert.rejects(client().profiles({}, 't'), { status: 404, message: 'profiles: HTTP 404 Not Found' });
  });

  test('a 2xx that is not JSON is an error too', async () => {
    reply = () => ({ status: 200, text: 'hello' });
    await assert.rejects(client().checkToken('a.b.c'), { status: 200, message: /not JSON/ });
  });

  test('no token in error messages, even when the token is in the URL', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJqdGkiOiJzZWNyZXQtZ3JhbnQifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    reply = () => ({ status: 401, text: 'denied' });
    await assert.rejects(client().exchangeToken(token), (err) => {
      assert.equal(err.status, 401);
      for (const part of token.split('.')) assert.ok(!err.message.includes(part));
      assert.ok(!String(err.stack).includes(token.split('.')[1]));
      return true;
    });
  });

  test('an unreachable server is status 0, without the URL', async () => {
    const url = await deadUrl();
    const c = new ActasClient({ apiUrl: url });
    await assert.rejects(c.exchangeToken('secret.token.here'), (err) => {
      assert.ok(err instanceof ActasApiError);
      assert.equal(err.status, 0);
      assert.equal(err.message, 'exchangeToken: could not reach the server');
      return true;
    });
  });
});

test('the constructor needs apiUrl', () => {
  assert.throws(() => new ActasClient({}), TypeError);
});
