/**
 * Debian's redis-server for the tests of shared rate limits. On a developer machine without
 * it those tests are skipped with one line; with CI=true they run and fail, because .ci/run
 * installs it and a silent skip would hide a broken shared limit.
 */
import { hasRedisServer, REDIS_SERVER } from "../../cluster/redis-server.ts";

export {
  type RedisServer,
  startRedisServer as startRedis,
} from "../../cluster/redis-server.ts";

/** For describe.skipIf(): true only when redis-server is missing outside CI. */
export const skipRedisTests = !hasRedisServer() && process.env.CI !== "true";

if (skipRedisTests) {
  process.stdout.write(
    `redis tests skipped: ${REDIS_SERVER} not found (apt-get install redis-server to run them)\n`,
  );
}
