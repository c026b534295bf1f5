import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ActasAuthError, createVerifier } from '../dist/node.js';
import {
  ADMIN,
  CLIENT_IDS,
  IMPERSONATION_CLIENT,
  ISSUER,
  USER,
  accessClaims,
  b64url,
  deadUrl,
  idClaims,
  jwksServer,
  makeKey,
  signHs256,
  signRs256,
} from './support.mjs';

const key = makeKey('key-1');
let jwks;

before(async () => {
  jwks = await jwksServer([key]);
});
after(() => jwks.close());

const verifier = (options = {}) =>
  createVerifier({ jwksUrl: jwks.url, issuer: ISSUER, clientIds: CLIENT_IDS, ...options });

/** Asserts that verifying `token` is refused with `status`, and that the message does not leak it. */
async function refused(v, token, status, pattern) {
  await assert.rejects(v.verify(token), (err) => {
    assert.ok(err instanceof ActasAuthError, `expected ActasAuthError, got ${err}`);
    assert.equal(err.status, status);
    if (pattern) assert.match(err.message, pattern);
    if (token) {
      for (const part of token.split('.')) if (part.length > 8) assert.ok(!err.message.includes(part), 'message leaks the token');
    }
    return true;
  });
}

const now = () => Math.floor(Date.now() / 1000);

describe('createVerifier accepts', () => {
  test('an ordinary id token', async () => {
    const claims = idClaims(ADMIN);
    const s = await verifier().verify(signRs256(claims, key));
    assert.equal(s.sub, ADMIN.sub);
    assert.equal(s.username, ADMIN.username);
    assert.equal(s.tokenUse, 'id');
    assert.equal(s.clientId, claims.aud);
    assert.deepEqual(s.scopes, []);
    assert.equal(s.isImpersonating, false);
    assert.equal(s.mayWrite, true);
    assert.equal(s.expiresAt.getTime(), claims.exp * 1000);
    assert.equal(s.claims['custom:tenant_id'], 'acme');
  });

  test('a read-only impersonated access token, from an Authorization header', async () => {
    const claims = accessClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: { mode: 'read_only' } });
    const s = await verifier().verify(`Bearer ${signRs256(claims, key)}`);
    assert.equal(s.tokenUse, 'access');
    assert.equal(s.clientId, IMPERSONATION_CLIENT);
    assert.deepEqual(s.scopes, ['actas/read']);
    assert.equal(s.isImpersonating, true);
    assert.deepEqual(s.actor, ADMIN);
    assert.equal(s.mode, 'read_only');
    assert.equal(s.mayWrite, false);
  });

  test('a full impersonation may write; one without a mode may not', async () => {
    const v = verifier();
    const full = await v.verify(signRs256(idClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: { mode: 'full' } }), key));
    assert.equal(full.mayWrite, true);
    const bare = await v.verify(signRs256(idClaims(USER, { clientId: IMPERSONATION_CLIENT, impersonation: {} }), key));
    assert.equal(bare.mode, 'read_only');
    assert.equal(bare.mayWrite, false);
  });

  test('a token just past exp, within the leeway', async () => {
    await verifier({ leewaySeconds: 30 }).verify(signRs256(idClaims(USER, { exp: now() - 10 }), key));
  });
});

describe('createVerifier refuses', () => {
  test('an expired token', async () => {
    await refused(verifier(), signRs256(idClaims(USER, { exp: now() - 60 }), key), 401, /expired/);
    await refused(verifier({ leewaySeconds: 0 }), signRs256(idClaims(USER, { exp: now() - 1 }), key), 401, /expired/);
  });

  test('a token not valid yet (nbf)', async () => {
    await refused(verifier(), signRs256(idClaims(USER, { nbf: now() + 600 }), key), 401, /not valid yet/);
  });

  test('a token whose impersonation is over', async () => {
    const claims = idClaims(USER, { impersonation: { mode: 'full', endsAt: now() - 60 } });
    await refused(verifier(), signRs256(claims, key), 401, /impersonation is over/);
  });

  test('another issuer', async () => {
    await refused(verifier(), signRs256(idClaims(USER, { iss: `${ISSUER}x` }), key), 401, /issuer/);
    await refused(verifier(), signRs256(idClaims(USER, { iss: undefined }), key), 401, /issuer/);
  });

  test('another app client, for id and access tokens', async () => {
    await refused(verifier(), signRs256(idClaims(USER, { clientId: 'someone-else' }), key), 401, /app client/);
    await refused(verifier(), signRs256(accessClaims(USER, { clientId: 'someone-else' }), key), 401, /app client/);
    // An id token's aud is the client; a client_id claim on it does not count.
    await refused(verifier(), signRs256(idClaims(USER, { aud: 'x', client_id: CLIENT_IDS[0] }), key), 401, /app client/);
    await refused(verifier({ clientIds: [IMPERSONATION_CLIENT] }), signRs256(idClaims(USER), key), 401, /app client/);
  });

  test('a token_use other than id or access', async () => {
    await refused(verifier(), signRs256(idClaims(USER, { token_use: 'refresh' }), key), 401, /id or access/);
    await refused(verifier(), signRs256(idClaims(USER, { token_use: undefined }), key), 401, /id or access/);
  });

  test('alg none', async () => {
    const body = b64url(idClaims(ADMIN));
    await refused(verifier(), `${b64url({ alg: 'none', kid: key.kid })}.${body}.`, 401, /RS256/);
    await refused(verifier(), `${b64url({ alg: 'none' })}.${body}.`, 401, /RS256/);
    await refused(verifier(), `${b64url({ alg: 'None', kid: key.kid })}.${body}.${b64url('x')}`, 401, /RS256/);
  });

  test('HS256 signed with the public key', async () => {
    const pem = key.publicKey.export({ type: 'spki', format: 'pem' });
    await refused(verifier(), signHs256(idClaims(ADMIN), pem, { kid: key.kid }), 401, /RS256/);
    const der = key.publicKey.export({ type: 'spki', format: 'der' });
    await refused(verifier(), signHs256(idClaims(ADMIN), der, { kid: key.kid }), 401, /RS256/);
  });

  test('a tampered payload', async () => {
    const [head, , signature] = signRs256(idClaims(USER, { impersonation: { mode: 'read_only' } }), key).split('.');
    const forged = b64url(idClaims(USER, { impersonation: { mode: 'full' } }));
    await refused(verifier(), `${head}.${forged}.${signature}`, 401, /signature/);
  });

  test('a token signed by another key under a known kid', async () => {
    const impostor = makeKey(key.kid);
    await refused(verifier(), signRs256(idClaims(ADMIN), impostor), 401, /signature/);
  });

  test('an unknown kid, refetching the JWKS at most once per interval', async () => {
    const v = verifier();
    await v.verify(signRs256(idClaims(USER), key)); // warms the cache
    const hits = jwks.hits;
    const stranger = makeKey('kid-nobody-knows');
    await refused(v, signRs256(idClaims(USER), stranger), 401, /unknown key/);
    await refused(v, signRs256(idClaims(USER), makeKey('another-made-up-kid')), 401, /unknown key/);
    await refused(v, signRs256(idClaims(USER), stranger), 401, /unknown key/);
    assert.equal(jwks.hits - hits, 0, 'the JWKS was fetched again within 30 s of the last fetch');
  });

  test('malformed and missing tokens', async () => {
    const v = verifier();
    for (const bad of ['', '   ', 'Bearer ', 'abc', 'a.b', 'a.b.c.d', `${b64url('not json')}.x.y`, `${b64url([1])}.x.y`]) {
      await refused(v, bad, 401);
    }
    const good = signRs256(idClaims(USER), key).split('.');
    await refused(v, `${good[0]}.${good[1]}.`, 401, /not signed/);
    await refused(v, `${good[0]}.${good[1]}.${good[2]}!`, 401, /malformed/);
    await refused(v, `${b64url({ alg: 'RS256' })}.${good[1]}.${good[2]}`, 401, /no signing key/);
    await refused(v, `${b64url({ alg: 'RS256', kid: key.kid, crit: ['exp'] })}.${good[1]}.${good[2]}`, 401, /critical/);
  });
});

describe('the JWKS cache', () => {
  test('picks up a rotated key once the interval allows a refetch', async () => {
    const local = await jwksServer([key]);
    try {
      const v = createVerifier({ jwksUrl: local.url, issuer: ISSUER, clientIds: CLIENT_IDS, refetchIntervalSeconds: 0 });
      await v.verify(signRs256(idClaims(USER), key));
      const rotated = makeKey('key-2');
      await refused(v, signRs256(idClaims(USER), rotated), 401, /unknown key/);
      local.keys.push(rotated);
      const s = await v.verify(signRs256(idClaims(USER), rotated));
      assert.equal(s.sub, USER.sub);
      // A withdrawn key stops working once a refetch replaces the set.
      local.keys = [rotated];
      await refused(v, signRs256(idClaims(USER), makeKey('key-3')), 401, /unknown key/);
      await refused(v, signRs256(idClaims(USER), key), 401, /unknown key/);
    } finally {
      await local.close();
    }
  });

  test('shares one fetch between concurrent first requests', async () => {
    const local = await jwksServer([key]);
    try {
      const v = createVerifier({ jwksUrl: local.url, issuer: ISSUER, clientIds: CLIENT_IDS });
      const token = signRs256(idClaims(USER), key);
      await Promise.all(Array.from({ length: 10 }, () => v.verify(token)));
      assert.equal(local.hits, 1);
    } finally {
      await local.close();
    }
  });

  test('an unreachable JWKS is 502, not a pass', async () => {
    const v = createVerifier({ jwksUrl: `${await deadUrl()}/jwks.json`, issuer: ISSUER, clientIds: CLIENT_IDS });
    await refused(v, signRs256(idClaims(USER), key), 502, /JWKS/);
  });

  test('a failing JWKS is 502, and a later request retries', async () => {
    const local = await jwksServer([key]);
    try {
      local.status = 500;
      const v = createVerifier({ jwksUrl: local.url, issuer: ISSUER, clientIds: CLIENT_IDS });
      const token = signRs256(idClaims(USER), key);
      await refused(v, token, 502, /JWKS/);
      local.status = 200;
      assert.equal((await v.verify(token)).sub, USER.sub);
    } finally {
      await local.close();
    }
  });

  test('a JWKS answer without usable keys is 502 or 401, never a pass', async () => {
    const token = signRs256(idClaims(USER), key);
    const withFetch = (answer) =>
      createVerifier({ jwksUrl: 'http://jwks.invalid/jwks.json', issuer: ISSUER, clientIds: CLIENT_IDS, fetch: async () => answer() });
    await refused(withFetch(() => new Response('<html>')), token, 502, /JWKS/);
    await refused(withFetch(() => Response.json({ nope: [] })), token, 502, /no keys/);
    // Keys Node cannot use, or not meant for RS256 signatures, are left out.
    const unusable = [
      { ...key.jwk, n: 'AAAA!' },
      { ...key.jwk, use: 'enc' },
      { ...key.jwk, alg: 'RS512' },
      { ...key.jwk, kty: 'EC' },
    ];
    for (const jwk of unusable) {
      await refused(withFetch(() => Response.json({ keys: [jwk] })), token, 401, /unknown key|signature/);
    }
  });
});

test('createVerifier needs its options', () => {
  assert.throws(() => createVerifier({ jwksUrl: 'http://x', issuer: ISSUER, clientIds: [] }), TypeError);
  assert.throws(() => createVerifier({ jwksUrl: '', issuer: ISSUER, clientIds: CLIENT_IDS }), TypeError);
  assert.throws(() => createVerifier({ jwksUrl: 'http://x', issuer: '', clientIds: CLIENT_IDS }), TypeError);
});
