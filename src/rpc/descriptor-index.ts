import {
  create,
  createFileRegistry,
  type DescFile,
  type DescService,
  type FileRegistry,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/**
 * What server reflection answers from: the generated descriptors of the
 * served services and every file they import, transitively, so a client can
 * rebuild the whole schema (google/api/annotations.proto needs http.proto and
 * google/protobuf/descriptor.proto, whose MethodOptions it extends).
 */
export interface DescriptorIndex {
  serviceNames: readonly string[];
  /** The file declaring a fully-qualified symbol: a type, service, method or field. */
  fileContainingSymbol(symbol: string): DescFile | undefined;
  fileByName(name: string): DescFile | undefined;
  fileContainingExtension(containingType: string, number: number): DescFile | undefined;
  /** Undefined when the message type is unknown; [] when it has no extensions. */
  extensionNumbersOf(containingType: string): number[] | undefined;
  /** The file, then those of its imports (transitively) not in `sent`; all are added to it. */
  serializeWithDependencies(file: DescFile, sent: Set<string>): Uint8Array[];
}

export function createDescriptorIndex(services: readonly DescService[]): DescriptorIndex {
  const ordered = dependenciesFirst(services.map((service) => service.file));
  const registry = createFileRegistry(
    create(FileDescriptorSetSchema, { file: ordered.map((file) => file.proto) }),
  );
  // Serialised once: the schema cannot change while the process runs.
  const bytes = new Map(
    ordered.map((file) => [file.proto.name, toBinary(FileDescriptorProtoSchema, file.proto)]),
  );
  return {
    serviceNames: services.map((service) => service.typeName),
    fileContainingSymbol: (symbol) => symbolFile(registry, symbol.replace(/^\./, "")),
    fileByName: (name) => registry.getFile(name),
    fileContainingExtension(containingType, number) {
      const extendee = registry.getMessage(containingType.replace(/^\./, ""));
      return extendee && registry.getExtensionFor(extendee, number)?.file;
    },
    extensionNumbersOf(containingType) {
      const typeName = containingType.replace(/^\./, "");
      if (!registry.getMessage(typeName)) return undefined;
      const numbers: number[] = [];
      for (const desc of registry) {
        if (desc.kind === "extension" && desc.extendee.typeName === typeName) {
          numbers.push(desc.number);
        }
      }
      return numbers;
    },
    serializeWithDependencies(file, sent) {
      const out: Uint8Array[] = [];
      const queue = [file];
      const visited = new Set<string>();
      for (let next = queue.shift(); next; next = queue.shift()) {
        const name = next.proto.name;
        if (visited.has(name)) continue;
        visited.add(name);
        // The requested file always goes; the spec lets us skip imports sent before.
        if (next === file || !sent.has(name)) {
          const encoded = bytes.get(name);
          if (encoded) out.push(encoded);
          sent.add(name);
        }
        queue.push(...next.dependencies);
      }
      return out;
    },
  };
}

function symbolFile(registry: FileRegistry, symbol: string): DescFile | undefined {
  const desc = registry.get(symbol);
  if (desc) return desc.file;
  // Not a type: a member of one (package.Service.Method, package.Message.field).
  const dot = symbol.lastIndexOf(".");
  const parent = dot > 0 ? registry.get(symbol.slice(0, dot)) : undefined;
  const member = symbol.slice(dot + 1);
  if (parent?.kind === "service" && parent.methods.some((m) => m.name === member)) {
    return parent.file;
  }
  if (parent?.kind === "message" && parent.fields.some((f) => f.name === member)) {
    return parent.file;
  }
  return undefined;
}

/** Every file reachable from `roots`, each after its own imports. */
function dependenciesFirst(roots: readonly DescFile[]): DescFile[] {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile) => {
    if (seen.has(file.proto.name)) return;
    seen.add(file.proto.name);
    file.dependencies.forEach(visit);
    ordered.push(file);
  };
  roots.forEach(visit);
  return ordered;
}
