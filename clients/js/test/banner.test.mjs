// The banner's DOM-free parts: what it shows, the time left, the stored session, and Stop's
// call to actas. (The element itself needs a browser: the console's browser tests cover it.)

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import {
  ActasApiError,
  DEFAULT_RETURN_TO,
  SESSION_STORAGE_KEY,
  apiUrlFromSession,
  bannerState,
  clearStoredSession,
  defineActasBanner,
  endImpersonation,
  formatTimeLeft,
  readStoredSession,
} from '../dist/index.js';
import { ADMIN, USER, accessClaims, idClaims, listen, makeKey, readBody, signRs256 } from './support.mjs';

const key = makeKey();
const token = (claims) => signRs256(claims, key);
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

/** A session payload as the exchange returns it, around an impersonated id token. */
function payload({ mode = 'read_only', endsAt = inOneHour(), idExtra = {}, apiUrl = 'http://127.0.0.1:1/v1' } = {}) {
  const impersonation = { mode, endsAt };
  return {
    endpointUrl: `${apiUrl}/auth/cognito`,
    clientId: 'imp-client',
    username: USER.username,
    session: {
      authorization: token(idClaims(USER, { impersonation, ...idExtra })),
      accessToken: token(accessClaims(USER, { impersonation })),
      refreshToken: 'refresh-1',
      expireEpoch: Date.now() + 900_000,
    },
    impersonation: { id: 'imp-0001', actor: ADMIN, reason: 'help', ticket: null, mode, expires_at: new Date(endsAt * 1000).toISOString() },
  };
}

const memoryStorage = (entries = {}) => {
  const map = new Map(Object.entries(entries));
  return { getItem: (k) => (map.has(k) ? map.get(k) : null), removeItem: (k) => map.delete(k), map };
};

describe('formatTimeLeft', () => {
  test('mm:ss under an hour, h:mm:ss from an hour on', () => {
    assert.equal(formatTimeLeft(0), '00:00');
    assert.equal(formatTimeLeft(59_000), '00:59');
    assert.equal(formatTimeLeft(60_000), '01:00');
    assert.equal(formatTimeLeft(25 * 60_000 + 7_000), '25:07');
    assert.equal(formatTimeLeft(3_599_000), '59:59');
    assert.equal(formatTimeLeft(3_600_000), '1:00:00');
    assert.equal(formatTimeLeft(3_600_000 + 61_000), '1:01:01');
  });

  test('rounds up, so 00:00 means over', () => {
    assert.equal(formatTimeLeft(1), '00:01');
    assert.equal(formatTimeLeft(59_001), '01:00');
  });

  test('past, negative or nonsense reads 00:00', () => {
    for (const ms of [-1, -100_000, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      assert.equal(formatTimeLeft(ms), '00:00', String(ms));
    }
  });
});

describe('bannerState', () => {
  test('a read-only payload: target, actor, mode, end and the id token', () => {
    const p = payload();
    const s = bannerState(p);
    assert.equal(s.targetUsername, USER.username);
    assert.equal(s.actorUsername, ADMIN.username);
    assert.equal(s.impersonationId, 'imp-0001');
    assert.equal(s.mode, 'read_only');
    assert.equal(s.modeLabel, 'Read-only');
    assert.ok(Math.abs(s.endsAt.getTime() - Date.parse(p.impersonation.expires_at)) < 1000);
    assert.equal(s.token, p.session.authorization);
  });

  test('a full payload, as JSON text (the attribute) too', () => {
    const p = payload({ mode: 'full' });
    for (const input of [p, JSON.stringify(p), `  ${JSON.stringify(p)}\n`]) {
      const s = bannerState(input);
      assert.equal(s.mode, 'full');
      assert.equal(s.modeLabel, 'Full');
    }
  });

  test('a bare id token or token set works', () => {
    const id = token(idClaims(USER, { impersonation: { mode: 'full' } }));
    assert.equal(bannerState(id).modeLabel, 'Full');
    assert.equal(bannerState(id).token, id);
    assert.equal(bannerState({ idToken: id }).targetUsername, USER.username);
  });

  test('the mode comes from the token, and reads Read-only when it names none', () => {
    const p = payload({ mode: 'full' });
    p.session.authorization = token(idClaims(USER, { impersonation: { mode: undefined } }));
    assert.equal(bannerState(p).mode, 'read_only');
    assert.equal(bannerState(p).modeLabel, 'Read-only');
  });

  test('the end from the payload when the token has none', () => {
    const p = payload({ idExtra: { impersonation_expires_at: undefined } });
    assert.equal(bannerState(p).endsAt.toISOString(), p.impersonation.expires_at);
    p.impersonation.expires_at = 'not a date';
    assert.equal(bannerState(p).endsAt, null);
  });

  test('the actor from the payload when the token names none', () => {
    const p = payload({ idExtra: { act: 'opaque' } });
    assert.equal(bannerState(p).actorUsername, ADMIN.username);
  });

  test('nothing to show: ordinary sessions, nothing, garbage', () => {
    const ordinary = token(idClaims(ADMIN));
    for (const input of [
      null,
      undefined,
      '',
      '   ',
      'not-a-jwt',
      '{"broken json',
      '[1,2]',
      42,
      {},
      { session: {} },
      ordinary,
      { idToken: ordinary },
      { session: { authorization: ordinary } },
    ]) {
      assert.equal(bannerState(input), null, JSON.stringify(input));
    }
  });
});

describe('stored session', () => {
  test('reads actas.session as JSON; null when absent, broken or unreadable', () => {
    const p = payload();
    assert.equal(SESSION_STORAGE_KEY, 'actas.session');
    assert.deepEqual(readStoredSession(memoryStorage({ 'actas.session': JSON.stringify(p) })), p);
    assert.equal(readStoredSession(memoryStorage()), null);
    assert.equal(readStoredSession(memoryStorage({ 'actas.session': '{oops' })), null);
    assert.equal(readStoredSession(memoryStorage({ 'actas.session': '' })), null);
    assert.equal(readStoredSession({ getItem: () => { throw new Error('SecurityError'); } }), null);
    assert.equal(readStoredSession(null), null);
    assert.equal(readStoredSession(), null); // Node has no sessionStorage
  });

  test('clearStoredSession removes only actas.session', () => {
    const storage = memoryStorage({ 'actas.session': '{}', 'actas.actor': '{}' });
    assert.equal(clearStoredSession(storage), true);
    assert.deepEqual([...storage.map.keys()], ['actas.actor']);
    assert.equal(clearStoredSession({ removeItem: () => { throw new Error('no'); } }), false);
    assert.equal(clearStoredSession(null), false);
  });
});

test('apiUrlFromSession: the base of an impersonated payload endpointUrl', () => {
  assert.equal(apiUrlFromSession({ endpointUrl: 'https://a.example/v1/auth/cognito' }), 'https://a.example/v1');
  assert.equal(
    apiUrlFromSession({ endpointUrl: 'http://127.0.0.1:4566/_aws/execute-api/abc/v1/auth/cognito' }),
    'http://127.0.0.1:4566/_aws/execute-api/abc/v1',
  );
  for (const p of [{ endpointUrl: 'https://cognito-idp.us-east-1.amazonaws.com/' }, {}, null, 'x', { endpointUrl: 3 }]) {
    assert.equal(apiUrlFromSession(p), null);
  }
});

test('in Node there is no custom element to define, and importing registers nothing', () => {
  assert.equal(typeof customElements, 'undefined');
  assert.equal(defineActasBanner(), undefined);
  assert.equal(DEFAULT_RETURN_TO, './index.html#/active');
});

describe('endImpersonation', () => {
  let fake;
  let requests = [];
  let reply;
  before(async () => {
    fake = await listen(async (req, res) => {
      const body = await readBody(req);
      requests.push({ method: req.method, path: new URL(req.url, 'http://x').pathname, headers: req.headers, body });
      const { status = 200, json } = reply(req);
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(json ?? {}));
    });
  });
  after(() => fake.close());
  beforeEach(() => {
    requests = [];
    reply = () => ({ json: { status: 'ended', impersonation: {} } });
  });
  const apiUrl = () => `${fake.url}/v1`;

  test("DELETE /auth/impersonate with the session's own id token", async () => {
    const p = payload();
    assert.deepEqual(await endImpersonation(p, { apiUrl: apiUrl() }), { alreadyEnded: false });
    assert.equal(requests.length, 1);
    assert.equal(requests[0].method, 'DELETE');
    assert.equal(requests[0].path, '/v1/auth/impersonate');
    assert.equal(requests[0].headers.authorization, `Bearer ${p.session.authorization}`);
  });

  test('401 or 404: it was over already', async () => {
    for (const status of [401, 404]) {
      reply = () => ({ status, json: { status: 'error', message: 'no' } });
      assert.deepEqual(await endImpersonation(JSON.stringify(payload()), { apiUrl: apiUrl() }), { alreadyEnded: true });
    }
  });

  test('a failure or no answer throws, so the session is kept to try again', async () => {
    reply = () => ({ status: 502, json: { status: 'error', message: 'an AWS call failed' } });
    await assert.rejects(endImpersonation(payload(), { apiUrl: apiUrl() }), (err) => err instanceof ActasApiError && err.status === 502);
    await assert.rejects(endImpersonation(payload(), { apiUrl: 'http://127.0.0.1:1/v1' }), { status: 0 });
  });

  test('an expired id token is refreshed at the payload endpointUrl first', async () => {
    const p = payload({ apiUrl: apiUrl() });
    const fresh = token(idClaims(USER, { impersonation: { mode: 'read_only' } }));
    reply = (req) =>
      req.method === 'POST'
        ? { json: { AuthenticationResult: { IdToken: fresh, AccessToken: 'a', ExpiresIn: 900 } } }
        : { json: { status: 'ended' } };
    const later = () => Date.now() + 3_600_000; // the 15-minute token is long expired then
    assert.deepEqual(await endImpersonation(p, { apiUrl: apiUrl(), now: later }), { alreadyEnded: false });
    assert.deepEqual(requests.map((r) => `${r.method} ${r.path}`), ['POST /v1/auth/cognito', 'DELETE /v1/auth/impersonate']);
    assert.deepEqual(JSON.parse(requests[0].body), { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: 'imp-client', AuthParameters: { REFRESH_TOKEN: 'refresh-1' } });
    assert.equal(requests[1].headers.authorization, `Bearer ${fresh}`);
  });

  test('a refused refresh, or an expired token without a refresh token, means it is over', async () => {
    const later = () => Date.now() + 3_600_000;
    reply = () => ({ status: 400, json: { __type: 'NotAuthorizedException', message: 'the impersonation is not live' } });
    assert.deepEqual(await endImpersonation(payload({ apiUrl: apiUrl() }), { apiUrl: apiUrl(), now: later }), { alreadyEnded: true });
    requests = [];
    const bare = payload().session.authorization;
    assert.deepEqual(await endImpersonation(bare, { apiUrl: apiUrl(), now: later }), { alreadyEnded: true });
    assert.equal(requests.length, 0);
  });

  test('refuses something that is not an impersonated session, without a request', async () => {
    for (const s of [null, token(idClaims(ADMIN)), 'garbage']) {
      await assert.rejects(endImpersonation(s, { apiUrl: apiUrl() }), TypeError);
    }
    assert.equal(requests.length, 0);
  });
});
