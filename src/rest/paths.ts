import { type DescMethod, getOption } from "@bufbuild/protobuf";
import { http } from "../../gen/google/api/annotations_pb.ts";
import { AuthService } from "../../gen/worth/auth/v1/auth_service_pb.ts";

/** The POST path a method's google.api.http rule declares: the contract says where it lives. */
function postPathOf(method: DescMethod): string {
  const rule = getOption(method, http);
  if (rule.pattern.case !== "post") {
    throw new Error(`${method.parent.typeName}/${method.name} declares no POST route`);
  }
  return rule.pattern.value;
}

/** The REST routes, relative to BASE_PATH, as the proto declares them. */
export const REFRESH_ROUTE = postPathOf(AuthService.method.refreshCustomerToken);
export const REVOKE_ROUTE = postPathOf(AuthService.method.revokeCustomerToken);
