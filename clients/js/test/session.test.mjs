import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { describe, test } from 'node:test';

import {
  actor,
  decodeClaims,
  endsAt,
  isImpersonating,
  mayWrite,
  mode,
  readSession,
} from '../dist/index.js';
import { ADMIN, USER, accessClaims, b64url, idClaims, makeKey, signRs256 } from './support.mjs';

const key = makeKey();
const token = (claims) => signRs256(claims, key);

describe('decodeClaims', () => {
  test('decodes a base64url payload, UTF-8 included', () => {
    const claims = { sub: 'x', name: 'Zoë ✓', odd: '??>>' }; // '?>' encodes to '_' and '-' in base64url
    const jwt = `${b64url({ alg: 'RS256' })}.${b64url(claims)}.sig`;
    assert.deepEqual(decodeClaims(jwt), claims);
    assert.deepEqual(decodeClaims(`Bearer ${jwt}`), claims);
  });

  test('throws a TypeError that does not repeat the input', () => {
    for (const bad of ['', 'abc', 'a.b', 'a.!!!.c', `${b64url('{}')}.${b64url('[1]')}.x`, `x.${b64url('not json')}.y`]) {
      assert.throws(
        () => decodeClaims(bad),
        (err) => err instanceof TypeError && (bad === '' || !err.message.includes(bad)),
        bad,
      );
    }
  });
});

describe('readSession', () => {
  test('ordinary id token: not impersonating, may write', () => {
    const claims = idClaims(USER);
    const s = readSession(token(claims));
    assert.equal(s.sub, USER.sub);
    assert.equal(s.username, USER.username);
    assert.equal(s.isImpersonating, false);
    assert.equal(s.actor, null);
    assert.equal(s.impersonationId, null);
    assert.equal(s.mode, null);
    assert.equal(s.endsAt, null);
    assert.equal(s.expiresAt.getTime(), claims.exp * 1000);
    assert.equal(s.mayWrite, true);
  });

  test('access token: username from the username claim', () => {
    const s = readSession(token(accessClaims(ADMIN)));
    assert.equal(s.username, ADMIN.username);
    assert.equal(s.mayWrite, true);
  });

  test('read_only impersonation: actor, id, end, may not write', () => {
    const end = Math.floor(Date.now() / 1000) + 1800;
    const s = readSession(token(idClaims(USER, { impersonation: { mode: 'read_only', id: 'imp-42', endsAt: end } })));
    assert.equal(s.isImpersonating, true);
    assert.deepEqual(s.actor, ADMIN);
    assert.equal(s.impersonationId, 'imp-42');
    assert.equal(s.mode, 'read_only');
    assert.equal(s.endsAt.getTime(), end * 1000);
    assert.equal(s.mayWrite, false);
  });

  test('full impersonation may write', () => {
    const s = readSession(token(idClaims(USER, { impersonation: { mode: 'full' } })));
    assert.equal(s.isImpersonating, true);
    assert.equal(s.mode, 'full');
    assert.equal(s.mayWrite, true);
  });

  test('act without a mode reads as read_only (fail closed)', () => {
    const s = readSession(token(idClaims(USER, { impersonation: {} })));
    assert.equal(s.isImpersonating, true);
    assert.equal(s.mode, 'read_only');
    assert.equal(s.mayWrite, false);
  });

  test('an unknown mode reads as read_only', () => {
    const s = readSession(token(idClaims(USER, { impersonation: { mode: 'superuser' } })));
    assert.equal(s.mode, 'read_only');
    assert.equal(s.mayWrite, false);
  });

  test('impersonation_id without act is still an impersonation', () => {
    const s = readSession(token(idClaims(USER, { impersonation_id: 'imp-7' })));
    assert.equal(s.isImpersonating, true);
    assert.equal(s.actor, null);
    assert.equal(s.impersonationId, 'imp-7');
    assert.equal(s.mayWrite, false);
  });

  test('takes a token set, a Bearer header or a session payload', () => {
    const id = token(idClaims(USER, { impersonation: { mode: 'read_only' } }));
    const access = token(accessClaims(USER, { impersonation: { mode: 'read_only' } }));
    for (const input of [
      `Bearer ${id}`,
      { idToken: id, accessToken: access, refreshToken: 'r' },
      { accessToken: access },
      { session: { authorization: id, accessToken: access, refreshToken: 'r', expireEpoch: Date.now() }, username: USER.username },
    ]) {
      const s = readSession(input);
      assert.equal(s.sub, USER.sub);
      assert.equal(s.mode, 'read_only');
    }
  });

  test('the token decides the mode, not the payload around it', () => {
    const id = token(idClaims(USER, { impersonation: {} }));
    const payload = { session: { authorization: id }, impersonation: { id: 'imp-0001', actor: ADMIN, mode: 'full' } };
    assert.equal(readSession(payload).mode, 'read_only');
    assert.equal(readSession(payload).mayWrite, false);
  });

  test('refuses what is not a session', () => {
    assert.throws(() => readSession({}), TypeError);
    assert.throws(() => readSession({ session: {} }), TypeError);
    assert.throws(() => readSession(token({ exp: 1 })), /no sub/);
    assert.throws(() => readSession(token({ sub: 'x' })), /no exp/);
  });

  test('helpers take a session or anything readSession takes', () => {
    const id = token(idClaims(USER, { impersonation: { mode: 'read_only' } }));
    const s = readSession(id);
    for (const input of [s, id]) {
      assert.equal(isImpersonating(input), true);
      assert.deepEqual(actor(input), ADMIN);
      assert.equal(mode(input), 'read_only');
      assert.ok(endsAt(input) instanceof Date);
      assert.equal(mayWrite(input), false);
    }
    const own = token(idClaims(ADMIN));
    assert.equal(isImpersonating(own), false);
    assert.equal(actor(own), null);
    assert.equal(mode(own), null);
    assert.equal(endsAt(own), null);
    assert.equal(mayWrite(own), true);
  });
});

test('the browser part imports no Node built-ins', async () => {
  const dist = new URL('../dist/', import.meta.url);
  // The Node part (`@actas/client/node`): node.js and the Shared Signals receiver it uses.
  const nodePart = ['node.js', 'signals.js'];
  const files = (await readdir(dist)).filter((f) => f.endsWith('.js') && !nodePart.includes(f));
  assert.deepEqual(files.sort(), ['banner.js', 'client.js', 'index.js', 'session.js']);
  for (const file of files) {
    const text = await readFile(new URL(file, dist), 'utf8');
    assert.doesNotMatch(text, /from\s+['"](node:|crypto|http|fs|buffer)/, file);
    assert.doesNotMatch(text, /\bBuffer\b|\bprocess\.|require\(/, file);
    for (const [, spec] of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      assert.ok(['./session.js', './client.js', './banner.js'].includes(spec), `${file} imports ${spec}`);
    }
  }
});
