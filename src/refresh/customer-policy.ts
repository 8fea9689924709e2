import type { CustomerPolicy } from "./ports.ts";

export interface CustomerPolicyOptions {
  /** A group the identity must belong to (`cognito:groups`). */
  requiredGroup?: string | undefined;
  /** A claim that must hold exactly this value. */
  requiredClaim?: { name: string; value: string } | undefined;
}

/** Builds the optional customer policy; undefined when nothing is required. */
export function createCustomerPolicy(options: CustomerPolicyOptions): CustomerPolicy | undefined {
  const { requiredGroup, requiredClaim } = options;
  if (!requiredGroup && !requiredClaim) {
    return undefined;
  }
  return (claims) => {
    if (requiredGroup) {
      const groups = claims["cognito:groups"];
      if (!Array.isArray(groups) || !groups.includes(requiredGroup)) {
        return false;
      }
    }
    if (requiredClaim && String(claims[requiredClaim.name] ?? "") !== requiredClaim.value) {
      return false;
    }
    return true;
  };
}
