/**
 * `@actas/client`: the browser-safe part (no Node built-ins). Read a session's impersonation
 * for display, and call the actas API. Servers verify tokens with `@actas/client/node`.
 */
export {
  decodeClaims,
  readSession,
  isImpersonating,
  actor,
  mode,
  endsAt,
  mayWrite,
} from './session.js';
export type {
  Actor,
  ActasSession,
  Claims,
  ImpersonationMode,
  SessionInput,
  SessionPayloadLike,
  TokenSet,
} from './session.js';
export { ActasClient, ActasApiError } from './client.js';
export type {
  ActasClientOptions,
  ImpersonateOptions,
  ImpersonationList,
  ImpersonationView,
  ListQuery,
  Person,
  Profile,
  ProfilesPage,
  SessionPayload,
  SignInResult,
  StartOptions,
  StopResult,
  TokenStatus,
} from './client.js';
