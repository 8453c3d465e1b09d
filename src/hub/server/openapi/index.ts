/** The OpenAPI documents (`/openapi/v2`, `/openapi/v3`), generated from the zod schemas of `src/api`. */
export { mountOpenApiRoutes, acceptRanges } from './routes.js';
export { buildDocuments, gvPath, type OpenApiDocuments } from './documents.js';
export { buildDefinitions, type Definitions } from './definitions.js';
export { FIELD_VALIDATION, PATCH_CONTENT_TYPES } from './operations.js';
export { encodeOpenApiV2, decodeOpenApiV2 } from './v2-proto.js';
