import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { actasMiddleware, createSetReceiver, memoryRevokedSessions, SESSION_REVOKED } from '../dist/node.js';
import { CLIENT_IDS, ISSUER, USER, b64url, idClaims, jwksServer, makeKey, signRs256 } from './support.mjs';

const ACTAS = 'https://actas.example/v1';
const AUDIENCE = 'notes-service';
const setKey = makeKey('set-key');
const poolKey = makeKey('pool-key');
let setJwks;
let poolJwks;

before(async () => {
  setJwks = await jwksServer([setKey]);
  poolJwks = await jwksServer([poolKey]);
});
after(() => {
  setJwks.close();
  poolJwks.close();
});

const now = () => Math.floor(Date.now() / 1000);

function setClaims(session, extra = {}) {
  return {
    iss: ACTAS,
    aud: AUDIENCE,
    iat: now(),
    jti: `jti-${Math.random()}`,
    sub_id: { format: 'complex', session: { format: 'opaque', id: session }, user: { format: 'opaque', id: USER.sub } },
    events: { [SESSION_REVOKED]: { event_timestamp: now(), initiating_entity: 'admin' } },
    ...extra,
  };
}

const signSet = (claims, key = setKey, header = {}) => signRs256(claims, key, { typ: 'secevent+jwt', ...header });

function receiver(revokedSessions = memoryRevokedSessions()) {
  return createSetReceiver({ issuer: ACTAS, audience: AUDIENCE, jwksUrl: setJwks.url, revokedSessions });
}

describe('createSetReceiver', () => {
  test('verifies a session-revoked SET and names its session', async () => {
    const event = await receiver().verify(signSet(setClaims('imp-1')));
    assert.equal(event.eventType, SESSION_REVOKED);
    assert.equal(event.sessionId, 'imp-1');
    assert.equal(event.userSub, USER.sub);
  });

  test('refuses forged and foreign SETs with RFC 8935 codes', async () => {
    const forger = makeKey('set-key');
    const cases = [
      ['another key', signSet(setClaims('imp-1'), forger), 'invalid_key'],
      ['unknown kid', signSet(setClaims('imp-1'), setKey, { kid: 'nope' }), 'invalid_key'],
      ['not a SET', signRs256(setClaims('imp-1'), setKey, { typ: 'JWT' }), 'invalid_request'],
      ['wrong issuer', signSet(setClaims('imp-1', { iss: 'https://evil.example' })), 'invalid_issuer'],
      ['wrong audience', signSet(setClaims('imp-1', { aud: 'other' })), 'invalid_audience'],
      ['in the future', signSet(setClaims('imp-1', { iat: now() + 3600 })), 'invalid_request'],
      ['an exp', signSet(setClaims('imp-1', { exp: now() + 60 })), 'invalid_request'],
      ['no session', signSet(setClaims('imp-1', { sub_id: { format: 'opaque', id: 'x' } })), 'invalid_request'],
      ['garbage', 'a.b.c', 'invalid_request'],
      ['unsigned', `${b64url({ alg: 'none', typ: 'secevent+jwt' })}.${b64url(setClaims('imp-1'))}.`, 'invalid_key'],
    ];
    const r = receiver();
    for (const [name, set, code] of cases) {
      const answer = await r.receive(set);
      assert.equal(answer.status, 400, name);
      assert.equal(answer.body.err, code, name);
    }
  });
});

describe('the middleware with revoked sessions', () => {
  function call(middleware, token) {
    return new Promise((resolve) => {
      const res = {
        statusCode: 200,
        headers: {},
        setHeader(name, value) {
          this.headers[name] = value;
        },
        end(body) {
          resolve({ status: this.statusCode, body: body ? JSON.parse(body) : undefined });
        },
      };
      middleware({ method: 'GET', headers: { authorization: `Bearer ${token}` } }, res, () => resolve({ status: 200 }));
    });
  }

  test('refuses a session from the SET on, offline; a forged SET changes nothing', async () => {
    const revoked = memoryRevokedSessions();
    const r = receiver(revoked);
    const middleware = actasMiddleware({
      verifier: { jwksUrl: poolJwks.url, issuer: ISSUER, clientIds: CLIENT_IDS },
      revokedSessions: revoked,
    });
    const token = (id) =>
      signRs256(idClaims(USER, { impersonation: { actor: { sub: 'a', username: 'admin' }, id, mode: 'full' } }), poolKey);
    assert.equal((await call(middleware, token('imp-1'))).status, 200);
    assert.equal((await r.receive(signSet(setClaims('imp-1'), makeKey('set-key')))).status, 400);
    assert.equal((await call(middleware, token('imp-1'))).status, 200);
    assert.deepEqual(await r.receive(signSet(setClaims('imp-1'))), { status: 202 });
    const refused = await call(middleware, token('imp-1'));
    assert.equal(refused.status, 401);
    assert.match(refused.body.message, /revoked/);
    assert.equal((await call(middleware, token('imp-2'))).status, 200, 'another session is untouched');
  });

  test('a store that fails refuses', async () => {
    const broken = { revoke() {}, isRevoked: () => Promise.reject(new Error('down')) };
    const middleware = actasMiddleware({
      verifier: { jwksUrl: poolJwks.url, issuer: ISSUER, clientIds: CLIENT_IDS },
      revokedSessions: broken,
    });
    const token = signRs256(idClaims(USER, { impersonation: { actor: { sub: 'a', username: 'admin' }, id: 'imp-1' } }), poolKey);
    assert.equal((await call(middleware, token)).status, 502);
    const failing = receiver({ revoke: () => Promise.reject(new Error('down')), isRevoked: () => false });
    assert.equal((await failing.receive(signSet(setClaims('imp-1')))).status, 503);
  });
});
