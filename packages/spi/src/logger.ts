/**
 * The structured logger the host hands to providers (in `xpProviderInit` and on the support object).
 *
 * Providers log through it instead of `console`, so the host can add attribution (provider, logon),
 * redact secrets and route the output. Each method takes an optional fields object and a message.
 */
export interface Logger {
  /** Detail useful only when debugging a provider. */
  debug(fields: Record<string, unknown> | string, message?: string): void;
  /** Normal operation worth recording (connected, listening, delivered). */
  info(fields: Record<string, unknown> | string, message?: string): void;
  /** Something went wrong but the provider carries on (a retry, a dropped connection). */
  warn(fields: Record<string, unknown> | string, message?: string): void;
  /** Something failed and needs attention. */
  error(fields: Record<string, unknown> | string, message?: string): void;
}
