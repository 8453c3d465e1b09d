/** L7 routing of the mesh: compiled HTTPRoute rules matched, filtered and weighted per request. */
export { HttpRouter, type HttpRouterDeps, type PlainDelivery } from './http-router.js';
export { pickBackend, seededRandom, type Random } from './backend-pick.js';
export { selectRule, hostOf, hostMatches, prefixMatches, type MatchableRequest } from './rule-match.js';
export { applyFilters, type FilterOutcome, type FilterableRequest } from './request-filters.js';
