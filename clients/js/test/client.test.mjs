import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { ActasApiError, ActasClient } from '../dist/index.js';
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
