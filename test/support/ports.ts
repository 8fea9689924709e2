import { freePort } from "../../cluster/ports.ts";

/** A loopback port nothing listens on (bound, then released). */
export const closedPort = freePort;
