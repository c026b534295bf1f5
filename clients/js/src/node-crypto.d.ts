// The few `node:crypto` declarations src/node.ts uses, so the package builds with no dependency
// but TypeScript (no @types/node). Internal: no public type refers to them, so they are not
// needed by the package's users, and the emitted declarations do not reference this file.
declare module 'node:crypto' {
  interface KeyObject {
    readonly type: 'secret' | 'public' | 'private';
    readonly asymmetricKeyType?: string;
  }
  function createPublicKey(key: { key: Record<string, unknown>; format: 'jwk' }): KeyObject;
  function verify(algorithm: string, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean;
  function createHash(algorithm: string): { update(data: string): { digest(encoding: 'hex'): string } };
}
