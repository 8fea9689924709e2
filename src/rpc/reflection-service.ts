import type { DescService } from "@bufbuild/protobuf";
import { Code, type ConnectRouter } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { createDescriptorIndex, type DescriptorIndex } from "./descriptor-index.ts";

/**
 * gRPC server reflection, v1 and v1alpha (the same messages in two packages:
 * buf curl asks v1 first, older grpcurl only v1alpha), answered from the
 * generated descriptors so `buf curl`, grpcurl and Postman need no .proto.
 */
export function reflectionRoutes(
  services: readonly DescService[],
): (router: ConnectRouter) => void {
  const index = createDescriptorIndex([...services, ReflectionV1, ReflectionV1alpha]);
  // One implementation for both packages: their messages have the same shape.
  const service = {
    async *serverReflectionInfo(
      requests: AsyncIterable<{ host: string; messageRequest: Question }>,
    ) {
      const sent = new Set<string>();
      for await (const request of requests) {
        yield {
          validHost: request.host,
          originalRequest: request,
          messageResponse: answer(index, request.messageRequest, sent),
        };
      }
    },
  };
  return (router) => {
    router.service(ReflectionV1, service);
    router.service(ReflectionV1alpha, service);
  };
}

/** A request's oneof, in the shape both versions share. */
type Question =
  | {
      case:
        | "fileByFilename"
        | "fileContainingSymbol"
        | "allExtensionNumbersOfType"
        | "listServices";
      value: string;
    }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: undefined; value?: undefined };

type Answer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | {
      case: "allExtensionNumbersResponse";
      value: { baseTypeName: string; extensionNumber: number[] };
    }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

// Errors go back in the stream, not as the call's status: the stream stays usable.
const notFound = (what: string): Answer => ({
  case: "errorResponse",
  value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
});

/** `sent` holds the files this stream has already carried (the spec lets us skip their resend). */
function answer(index: DescriptorIndex, question: Question, sent: Set<string>): Answer {
  const files = (file: ReturnType<DescriptorIndex["fileByName"]>, what: string): Answer =>
    file
      ? {
          case: "fileDescriptorResponse",
          value: { fileDescriptorProto: index.serializeWithDependencies(file, sent) },
        }
      : notFound(what);
  switch (question.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.serviceNames.map((name) => ({ name })) },
      };
    case "fileByFilename":
      return files(index.fileByName(question.value), `file ${question.value}`);
    case "fileContainingSymbol":
      return files(index.fileContainingSymbol(question.value), `symbol ${question.value}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = question.value;
      const file = index.fileContainingExtension(containingType, extensionNumber);
      return files(file, `extension ${extensionNumber} of ${containingType}`);
    }
    case "allExtensionNumbersOfType": {
      const numbers = index.extensionNumbersOf(question.value);
      return numbers
        ? {
            case: "allExtensionNumbersResponse",
            value: { baseTypeName: question.value, extensionNumber: numbers },
          }
        : notFound(`type ${question.value}`);
    }
    default:
      return {
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "no request set" },
      };
  }
}
