/**
 * `@actas/client`: the browser-safe part (no Node built-ins). Read a session's impersonation
 * for display, show it with `<actas-banner>` (registered on import where custom elements
 * exist), and call the actas API. Servers verify tokens with `@actas/client/node`.
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
export { ActasClient, ActasApiError, isPending, isStepUpRequired } from './client.js';
export {
  apiUrlFromSession,
  bannerState,
  clearStoredSession,
  defineActasBanner,
  endImpersonation,
  formatTimeLeft,
  idleNotice,
  readStoredSession,
  DEFAULT_RETURN_TO,
  IDLE_WARNING_MS,
  SESSION_STORAGE_KEY,
} from './banner.js';
export type { ActasBannerElement, BannerState, EndOptions, StorageLike } from './banner.js';
export type {
  ActasClientOptions,
  ApprovalTerms,
  AuditEventName,
  AuditEventFilter,
  AuditPage,
  AuditQuery,
  AuditRecord,
  ImpersonateOptions,
  ImpersonationList,
  ImpersonationRequest,
  ImpersonationView,
  ListQuery,
  Me,
  Person,
  PendingStart,
  Profile,
  ProfilesPage,
  Protection,
  RecordedPerson,
  RefreshOptions,
  RequestList,
  RequestQuery,
  RequestStatus,
  RoleSlug,
  SessionPayload,
  Settings,
  SettingsChanges,
  SignInResult,
  StartOptions,
  StopResult,
  TokenStatus,
} from './client.js';
