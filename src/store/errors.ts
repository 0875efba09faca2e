// Errors about where a store is, shared by every implementation: a `store` setting that names nothing usable
// (StoreTargetError, at open: a bad folder or URL, an unknown host, a missing database or extension), and a server
// store that stopped answering after it opened (StoreUnavailableError: the server answers 503 and the next request
// tries again, since the connection pool reconnects).

export class StoreTargetError extends Error {
  override name = "StoreTargetError";
}

export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
