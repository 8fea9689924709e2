/** One sample's value from a service's /metrics, by its full line name with labels. */
export async function metricValue(metricsUrl: string, line: string): Promise<number | undefined> {
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  const found = text.split("\n").find((entry) => entry.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}
