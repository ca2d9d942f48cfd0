// Request properties added by hapi plugins that ship no types.
import '@hapi/hapi';

declare module '@hapi/hapi' {
  interface Request {
    /** Set by @hapi/cookie: writes or clears the session cookie. */
    cookieAuth: { set(session: object): void; clear(key?: string): void };
  }
}
