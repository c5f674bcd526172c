/**
 * This provider's own error codes (status-row `lastError.code` and thrown `SpoolError`s). They extend the
 * SPI's codes; like those, they never change meaning.
 */
export const SmtpErrorCode = {
  /** The server refused our credentials (530/535) or AUTH failed; fix the account, then retry. */
  AUTH: 'SPOOL_E_SMTP_AUTH',
  /** TLS could not be set up (handshake, certificate, STARTTLS missing with requireTLS). */
  TLS: 'SPOOL_E_SMTP_TLS',
  /** No envelope sender: the message has no SMTP `from` and the logon has no `from` option. */
  NO_SENDER: 'SPOOL_E_SMTP_NO_SENDER',
  /** The inbound listener could not bind its address (port in use, permission). */
  LISTEN: 'SPOOL_E_SMTP_LISTEN',
  /** A file named in the options (CA, key, certificate) could not be read. */
  CONFIG: 'SPOOL_E_SMTP_CONFIG',
  /** `submitMessage` got no preprocessed MIME message (the preprocessor did not run for this hand-off). */
  NOT_PREPROCESSED: 'SPOOL_E_SMTP_NOT_PREPROCESSED',
} as const;
