// The rule that only a loopback server may run without an API key (the keys themselves are checked in access.ts).
import net from "node:net";

export class UnsafeBindingError extends Error {
  override name = "UnsafeBindingError";
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and "localhost": reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (net.isIPv4(h)) return h.startsWith("127.");
  if (net.isIPv6(h)) return h === "::1" || /^::ffff:127\./.test(h) || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(h);
  return false;
}

/** Refuses to serve on a non-loopback address with no API key: the documents would be open to the network. */
export function assertSafeBinding(host: string, apiKeys: readonly unknown[]): void {
  if (apiKeys.length === 0 && !isLoopbackHost(host))
    throw new UnsafeBindingError(
      `refusing to listen on ${host} without an API key: set server.apiKeys (or ALPACA_RAG_SERVER_API_KEYS), ` +
        `or bind to 127.0.0.1`,
    );
}
