// How long a server's upgrade may take at most, by its own deadlines: the
// longest it may go on answering "upgrading" before the new program serves
// or the old one gives up and serves again. A client following a console
// through an upgrade waits that long for a server that says it is
// upgrading (and only RECONNECT_MS for one that says nothing).

/** Each wait of an upgrade, given up past its limit. */
export const SETTLE_MS = 3000;
export const FLUSH_MS = 5000;
export const CHECK_MS = 20_000;
export const ATTEMPTS = 3;

/** Input settling, then each attempt's clean point, flush and check. */
export const LONGEST_UPGRADE_MS = SETTLE_MS + ATTEMPTS * (SETTLE_MS + FLUSH_MS + CHECK_MS);
