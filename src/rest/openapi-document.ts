import { readFileSync } from "node:fs";

/**
 * The REST face's OpenAPI document, read once at start-up and served as is. It sits beside
 * this file, in src/ and in the bundle's dist/ alike.
 */
export const openApiDocument = readFileSync(new URL("./openapi.json", import.meta.url), "utf8");
