/**
 * deploy/kubernetes.yaml, without a cluster: every document against the Kubernetes API schema
 * (kubernetes-models), then what the pods would do: probes on the service's health routes, a
 * drain that fits the grace period, a non-root read-only container, only env vars the config
 * reads, and a Service that reaches the pods for both HTTP and gRPC.
 */
import { readdirSync } from "node:fs";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { type IService, Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { instructions, parseDockerfile, ROOT, readRepoFile } from "./dockerfile.ts";

type Doc = { kind?: string } & Record<string, unknown>;

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  Deployment,
  Service,
  PodDisruptionBudget,
};

function validateDoc(doc: Doc): void {
  const Model = MODELS[doc.kind ?? ""];
  if (!Model) throw new Error(`no schema check for kind ${doc.kind}`);
  new Model(doc as never).validate();
}

const manifestText = readRepoFile("deploy/kubernetes.yaml");
const docs = parseAllDocuments(manifestText).map((doc) => {
  if (doc.errors.length > 0) throw doc.errors[0];
  return doc.toJS() as Doc;
});
const ofKind = <T>(kind: string) => docs.filter((doc) => doc.kind === kind) as T[];
const deployment = ofKind<IDeployment>("Deployment")[0] as IDeployment;
const pod = deployment.spec?.template.spec;
const container = pod?.containers[0];
const env = new Map((container?.env ?? []).map((entry) => [entry.name, entry]));

/** A probe's or Service's port (number or name) as the container port number. */
function containerPort(port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  return container?.ports?.find((p) => p.name === port)?.containerPort;
}

function envNumber(name: string, fallback: number): number {
  const value = env.get(name)?.value;
  return value === undefined ? fallback : Number(value);
}

/** Every environment variable the config reads: the upper-case string literals of src/config/. */
function configVariables(): Set<string> {
  const files = readdirSync(`${ROOT}src/config`).filter((file) => file.endsWith(".ts"));
  const names = new Set<string>();
  for (const file of files) {
    for (const match of readRepoFile(`src/config/${file}`).matchAll(
      /"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)"/g,
    )) {
      names.add(match[1] as string);
    }
  }
  return names;
}

describe("schema", () => {
  it("holds a Deployment, a Service and a PodDisruptionBudget", () => {
    expect(docs.map((doc) => doc.kind).sort()).toEqual([
      "Deployment",
      "PodDisruptionBudget",
      "Service",
    ]);
  });

  it("every document matches the Kubernetes API schema", () => {
    for (const doc of docs) {
      expect(() => validateDoc(doc), doc.kind).not.toThrow();
    }
  });

  it("the schema check rejects a broken copy (so the check above can fail)", () => {
    const broken = structuredClone(deployment) as unknown as Doc & IDeployment;
    const ports = broken.spec?.template.spec?.containers[0]?.ports ?? [];
    (ports[0] as { containerPort: unknown }).containerPort = "8080";
    expect(() => validateDoc(broken)).toThrow(/containerPort must be integer/);
    const service = structuredClone(ofKind<IService>("Service")[0]) as unknown as Doc;
    (service.spec as Record<string, unknown>).type = 80;
    expect(() => validateDoc(service)).toThrow(/type must be string/);
  });
});

describe("the Deployment", () => {
  it("selects its own pods", () => {
    const labels = deployment.spec?.template.metadata?.labels ?? {};
    expect(Object.keys(deployment.spec?.selector.matchLabels ?? {}).length).toBeGreaterThan(0);
    expect(labels).toMatchObject(deployment.spec?.selector.matchLabels ?? { missing: true });
  });

  it("listens on the container ports it declares (PORT, METRICS_PORT, or their defaults)", () => {
    expect(container?.ports?.map((p) => [p.name, p.containerPort])).toEqual([
      ["http", envNumber("PORT", 8080)],
      ["metrics", envNumber("METRICS_PORT", 9464)],
    ]);
  });

  it("has the metrics port scraped, and exposes it through no Service", () => {
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    expect(annotations["prometheus.io/scrape"]).toBe("true");
    expect(annotations["prometheus.io/port"]).toBe(String(envNumber("METRICS_PORT", 9464)));
    for (const service of ofKind<IService>("Service")) {
      for (const port of service.spec?.ports ?? []) {
        expect(port.targetPort).not.toBe("metrics");
        expect(containerPort(port.targetPort)).not.toBe(envNumber("METRICS_PORT", 9464));
      }
    }
  });

  it("takes traffic only when /readyz says so and restarts only when /healthz fails", () => {
    const port = envNumber("PORT", 8080);
    expect(container?.readinessProbe?.httpGet?.path).toBe("/readyz");
    expect(containerPort(container?.readinessProbe?.httpGet?.port)).toBe(port);
    expect(container?.livenessProbe?.httpGet?.path).toBe("/healthz");
    expect(containerPort(container?.livenessProbe?.httpGet?.port)).toBe(port);
  });

  it("pauses before SIGTERM and gives the drain time to finish before the kill", () => {
    const preStop = container?.lifecycle?.preStop;
    const command = preStop?.exec?.command ?? [];
    const pause =
      preStop?.sleep?.seconds ?? (command[0] === "sleep" ? Number(command[1]) : Number.NaN);
    expect(pause).toBeGreaterThan(0);
    const drainSeconds = envNumber("SHUTDOWN_TIMEOUT_MS", 10_000) / 1000;
    expect(pod?.terminationGracePeriodSeconds).toBeGreaterThan(pause + drainSeconds);
  });

  it("requests CPU and memory, so the scheduler places it", () => {
    expect(container?.resources?.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
  });

  it("refuses to run as root, as the image's own user", () => {
    const runAsNonRoot =
      container?.securityContext?.runAsNonRoot ?? pod?.securityContext?.runAsNonRoot;
    const user = container?.securityContext?.runAsUser ?? pod?.securityContext?.runAsUser;
    expect(runAsNonRoot).toBe(true);
    expect(user).toBeGreaterThan(0);
    const final = parseDockerfile(readRepoFile("Dockerfile")).at(-1);
    const imageUser = final && instructions(final, "USER").at(-1)?.args.split(":")[0];
    expect(String(user)).toBe(imageUser);
  });

  it("runs read-only with no privileges: the production start writes no file", () => {
    expect(container?.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("sets only environment variables the config reads", () => {
    const known = configVariables();
    // The extraction itself works: names from each config file are found.
    for (const name of ["PORT", "SHUTDOWN_TIMEOUT_MS", "COGNITO_CLIENT_ID", "TRUST_PROXY"]) {
      expect(known.has(name), name).toBe(true);
    }
    expect([...env.keys()].filter((name) => !known.has(name))).toEqual([]);
    // The commented-out examples too: uncommenting one must not set a variable nobody reads.
    const commented = [...manifestText.matchAll(/^\s*#\s*- name: (\S+)/gm)].map((m) => m[1]);
    expect(commented.filter((name) => !known.has(name as string))).toEqual([]);
  });

  it("trusts X-Forwarded-For only from named proxies, never from a whole network", () => {
    const entries = String(env.get("TRUST_PROXY")?.value ?? "").split(",");
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const [, bits] = entry.trim().split("/");
      // A proxy is an address (or a handful: /28 at most), not the pod network.
      expect(Number(bits ?? 32), entry).toBeGreaterThanOrEqual(28);
    }
  });

  it("always configures Cognito, so the pod never tries the embedded emulator", () => {
    for (const name of ["COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID"]) {
      const entry = env.get(name);
      expect(entry, name).toBeDefined();
      expect(entry?.value ?? entry?.valueFrom?.secretKeyRef?.key, name).toBeTruthy();
      expect(entry?.valueFrom?.secretKeyRef?.optional ?? false, name).toBe(false);
    }
    // The client secret is a secret: never a literal in the manifest.
    expect(env.get("COGNITO_CLIENT_SECRET")?.value).toBeUndefined();
  });
});

describe("the Service", () => {
  const service = ofKind<IService>("Service")[0] as IService;
  const ports = new Map((service.spec?.ports ?? []).map((port) => [port.name, port]));

  it("selects the Deployment's pods", () => {
    expect(Object.keys(service.spec?.selector ?? {}).length).toBeGreaterThan(0);
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(
      service.spec?.selector ?? { missing: true },
    );
  });

  it("reaches the one container port as `http` and as `grpc` (HTTP/2 cleartext)", () => {
    expect([...ports.keys()].sort()).toEqual(["grpc", "http"]);
    const port = envNumber("PORT", 8080);
    expect(containerPort(ports.get("http")?.targetPort)).toBe(port);
    expect(containerPort(ports.get("grpc")?.targetPort)).toBe(port);
    expect(ports.get("grpc")?.appProtocol).toBe("kubernetes.io/h2c");
  });
});

describe("the PodDisruptionBudget", () => {
  const budget = ofKind<{ spec: { minAvailable?: number; selector: { matchLabels: object } } }>(
    "PodDisruptionBudget",
  )[0];

  it("covers the Deployment's pods and still lets a node drain", () => {
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(
      budget?.spec.selector.matchLabels ?? { missing: true },
    );
    expect(budget?.spec.minAvailable).toBeLessThan(deployment.spec?.replicas ?? 1);
  });
});
