/**
 * Whether a host name or address is this machine's loopback: `localhost`, 127.0.0.0/8, or
 * `::1` (bare, as HOST gives it, or bracketed, as a URL's hostname does).
 */
export function isLoopbackHost(host: string): boolean {
  return /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/.test(host);
}
