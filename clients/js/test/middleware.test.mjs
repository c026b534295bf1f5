import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { READ_ONLY_MESSAGE, actasMiddleware, createRevocationCheck, createVerifier, isWriteMethod } from '../dist/node.js';
import {
  ADMIN,
  CLIENT_IDS,
  IMPERSONATION_CLIENT,
  ISSUER,
  USER,
  accessClaims,
  deadUrl,
  idClaims,
  jwksServer,
  listen,
  makeKey,
  signRs256,
} from './support.mjs';

const key = makeKey('mw-key');
let jwks;
before(async () => {
  jwks = await jwksServer([key]);
});
after(() => jwks.close());

const verifierOptions = () => ({ jwksUrl: jwks.url, issuer: ISSUER, clientIds: CLIENT_IDS });

const tokens = {
  ordinary: () => signRs256(idClaims(ADMIN), key),
  readOnly: () => signRs256(idClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: { mode: 'read_only' } }), key),
  readOnlyAccess: () =>
    signRs256(accessClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: { mode: 'read_only' } }), key),
  full: () => signRs256(idClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: { mode: 'full' } }), key),
  noMode: () => signRs256(idClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: {} }), key),
};

/**
 * A node:http server behind the middleware. Requests that get through answer 200 with the
 * session the middleware set; `reached` counts them.
 */
async function protectedServer(options) {
  const middleware = actasMiddleware(options);
  const state = { reached: 0 };
  const srv = await listen((req, res) => {
    middleware(req, res, () => {
      state.reached++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, actas: req.actas }));
    });
  });
  return Object.assign(state, srv);
}

async function call(srv, method, token, { raw } = {}) {
  const headers = token === undefined ? {} : { authorization: raw ? token : `Bearer ${token}` };
  const response = await fetch(`${srv.url}/things/1`, { method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text ? JSON.parse(text) : undefined };
}

function assertError(answer, status, pattern) {
  assert.equal(answer.status, status, answer.text);
  assert.match(answer.headers.get('content-type'), /^application\/json/);
  assert.equal(answer.json.status, 'error');
  assert.equal(typeof answer.json.message, 'string');
  assert.match(answer.json.message, pattern);
  assert.deepEqual(Object.keys(answer.json).sort(), ['message', 'status']);
}

describe('actasMiddleware on a node:http server', () => {
  let srv;
  before(async () => {
    srv = await protectedServer({ verifier: verifierOptions() });
  });
  after(() => srv.close());

  test('a read-only session may read', async () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const answer = await call(srv, method, tokens.readOnly());
      assert.equal(answer.status, 200, method);
    }
    const answer = await call(srv, 'GET', tokens.readOnlyAccess());
    assert.equal(answer.json.actas.mode, 'read_only');
    assert.equal(answer.json.actas.actor.username, ADMIN.username);
    assert.equal(answer.json.actas.mayWrite, false);
    assert.equal(answer.json.actas.tokenUse, 'access');
  });

  test('a read-only session may not write: 403 with the error shape', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND']) {
      const before = srv.reached;
      assertError(await call(srv, method, tokens.readOnly()), 403, /read-only/);
      assert.equal(srv.reached, before, `${method} reached the handler`);
    }
    assertError(await call(srv, 'DELETE', tokens.readOnlyAccess()), 403, /read-only/);
    assertError(await call(srv, 'POST', tokens.noMode()), 403, /read-only/);
  });

  test('a full impersonation and an ordinary session may write', async () => {
    const full = await call(srv, 'POST', tokens.full());
    assert.equal(full.status, 200);
    assert.equal(full.json.actas.mode, 'full');
    const own = await call(srv, 'DELETE', tokens.ordinary());
    assert.equal(own.status, 200);
    assert.equal(own.json.actas.username, ADMIN.username);
    assert.equal(own.json.actas.isImpersonating, false);
  });

  test('the token may come without Bearer', async () => {
    assert.equal((await call(srv, 'POST', tokens.ordinary(), { raw: true })).status, 200);
  });

  test('a missing or bad token is 401', async () => {
    const before = srv.reached;
    const missing = await call(srv, 'GET', undefined);
    assertError(missing, 401, /missing/);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer');
    assertError(await call(srv, 'GET', 'not-a-token'), 401, /malformed/);
    assertError(await call(srv, 'GET', signRs256(idClaims(USER, { exp: 1 }), key)), 401, /expired/);
    assertError(await call(srv, 'GET', signRs256(idClaims(USER), makeKey('mw-other'))), 401, /unknown key/);
    assert.equal(srv.reached, before);
  });
});

test('custom writeMethods are honoured', async () => {
  const srv = await protectedServer({ verifier: createVerifier(verifierOptions()), writeMethods: ['post', 'PROPFIND'] });
  try {
    assertError(await call(srv, 'POST', tokens.readOnly()), 403, /read-only/);
    assertError(await call(srv, 'PROPFIND', tokens.readOnly()), 403, /read-only/);
    // Not listed, so not a write for this deployer.
    assert.equal((await call(srv, 'DELETE', tokens.readOnly())).status, 200);
    assert.equal((await call(srv, 'GET', tokens.readOnly())).status, 200);
  } finally {
    await srv.close();
  }
});

test('isWriteMethod: everything but the safe methods, unless listed', () => {
  for (const m of ['GET', 'head', 'OPTIONS', 'TRACE']) assert.equal(isWriteMethod(m), false, m);
  for (const m of ['POST', 'put', 'PATCH', 'DELETE', 'PROPFIND', 'MKCOL', '']) assert.equal(isWriteMethod(m), true, m);
  assert.equal(isWriteMethod('DELETE', ['POST']), false);
  assert.equal(isWriteMethod('get', ['GET']), true);
});

test('an unreachable JWKS is 502 and the handler is not reached', async () => {
  const srv = await protectedServer({
    verifier: { jwksUrl: `${await deadUrl()}/jwks.json`, issuer: ISSUER, clientIds: CLIENT_IDS },
  });
  try {
    assertError(await call(srv, 'GET', tokens.ordinary()), 502, /JWKS/);
    assert.equal(srv.reached, 0);
  } finally {
    await srv.close();
  }
});

test('works on plain objects too, and never calls next on a refusal', async () => {
  const middleware = actasMiddleware({ verifier: verifierOptions() });
  const fakeRes = () => ({
    statusCode: 200,
    headers: {},
    body: undefined,
    setHeader(name, value) {
      this.headers[name.toLowerCase()] = value;
    },
    end(body) {
      this.body = body;
    },
  });
  let nexts = 0;
  const next = () => nexts++;

  const res = fakeRes();
  await middleware({ method: 'POST', headers: { authorization: tokens.readOnly() } }, res, next);
  assert.equal(nexts, 0);
  assert.equal(res.statusCode, 403);
  assert.deepEqual(JSON.parse(res.body), { status: 'error', message: READ_ONLY_MESSAGE });

  // No method at all is treated as a write.
  const noMethod = fakeRes();
  await middleware({ headers: { authorization: tokens.readOnly() } }, noMethod, next);
  assert.equal(noMethod.statusCode, 403);

  const req = { method: 'POST', headers: { authorization: `Bearer ${tokens.full()}` } };
  await middleware(req, fakeRes(), next);
  assert.equal(nexts, 1);
  assert.equal(req.actas.mode, 'full');
});

describe('revocation check', () => {
  // A fake actas: GET /auth/token answers per token from `answers` (default: valid).
  let actas;
  const answers = new Map();
  const seen = [];
  before(async () => {
    actas = await listen((req, res) => {
      const auth = req.headers.authorization ?? '';
      seen.push({ method: req.method, url: req.url, auth });
      const token = auth.replace(/^Bearer /, '');
      const answer = answers.get(token) ?? 'valid';
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'GET' || req.url !== '/v1/auth/token') {
        res.statusCode = 404;
        res.end(JSON.stringify({ status: 'error', message: 'not found' }));
      } else if (answer === 'reject') {
        res.statusCode = 401;
        res.end(JSON.stringify({ status: 'error', message: 'invalid token: expired' }));
      } else if (answer === 'broken') {
        res.statusCode = 500;
        res.end('oops');
      } else {
        res.end(
          JSON.stringify({
            valid: answer === 'valid',
            sub: USER.sub,
            username: USER.username,
            token_use: 'id',
            client_id: IMPERSONATION_CLIENT,
            expires_at: new Date().toISOString(),
            impersonation: null,
          }),
        );
      }
    });
  });
  after(() => actas.close());

  test('the check asks GET /auth/token with the token, and resolves only when valid', async () => {
    const check = createRevocationCheck({ apiUrl: `${actas.url}/v1/` });
    const token = tokens.readOnly();
    const status = await check.check(`Bearer ${token}`);
    assert.equal(status.valid, true);
    assert.deepEqual(seen.at(-1), { method: 'GET', url: '/v1/auth/token', auth: `Bearer ${token}` });

    const revoked = tokens.readOnly();
    answers.set(revoked, 'revoked');
    await assert.rejects(check.check(revoked), { status: 401, message: /no longer valid/ });
    const rejected = tokens.full();
    answers.set(rejected, 'reject');
    await assert.rejects(check.check(rejected), { status: 401, message: 'invalid token: expired' });
    const broken = tokens.noMode();
    answers.set(broken, 'broken');
    await assert.rejects(check.check(broken), { status: 502 });
    await assert.rejects(check.check(''), { status: 401 });
  });

  test('middleware: valid passes, valid:false is 401, actas unreachable is refused', async () => {
    const srv = await protectedServer({ verifier: verifierOptions(), revocation: { apiUrl: `${actas.url}/v1` } });
    const down = await protectedServer({ verifier: verifierOptions(), revocation: { apiUrl: `${await deadUrl()}/v1` } });
    try {
      const token = tokens.readOnly();
      assert.equal((await call(srv, 'GET', token)).status, 200);
      // Still read-only: revocation does not lift the write rule.
      assertError(await call(srv, 'POST', token), 403, /read-only/);

      answers.set(token, 'revoked');
      assertError(await call(srv, 'GET', token), 401, /no longer valid/);
      answers.set(token, 'reject');
      assertError(await call(srv, 'GET', token), 401, /invalid token/);
      answers.set(token, 'broken');
      assertError(await call(srv, 'GET', token), 502, /could not check/);

      assertError(await call(down, 'GET', tokens.ordinary()), 502, /could not reach actas/);
      assert.equal(down.reached, 0);
    } finally {
      await srv.close();
      await down.close();
    }
  });

  test('no cache by default: a stop is refused on the very next request', async () => {
    const check = createRevocationCheck({ apiUrl: `${actas.url}/v1` });
    const token = tokens.full();
    await check.check(token);
    answers.set(token, 'revoked');
    await assert.rejects(check.check(token), { status: 401 });
  });

  test('an opted-in cache reuses positive answers for its TTL only', async (t) => {
    // The TTL runs on Date.now(), which only this test moves: the round trips to the fake actas
    // take as long as they take, and the boundary is exact.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const ttl = 150;
    const check = createRevocationCheck({ apiUrl: `${actas.url}/v1`, cacheMs: ttl });
    const token = tokens.ordinary();
    const before = seen.length;
    const asked = () => seen.length - before;
    await check.check(token);
    await check.check(token);
    assert.equal(asked(), 1, 'second check within the TTL asked actas again');
    answers.set(token, 'revoked');
    t.mock.timers.tick(ttl - 1);
    assert.equal((await check.check(token)).valid, true, 'not cached for the whole TTL');
    assert.equal(asked(), 1);
    t.mock.timers.tick(1);
    await assert.rejects(check.check(token), { status: 401 }, 'cached past its TTL');
    assert.equal(asked(), 2);
    // Negative answers are never cached.
    answers.set(token, 'valid');
    assert.equal((await check.check(token)).valid, true);
    assert.equal(asked(), 3);
  });
});
