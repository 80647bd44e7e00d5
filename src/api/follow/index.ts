// The live-follow endpoints: register `followRoutes(deps)` inside the authenticated /v1 scope.
export { followRoutes, type FollowDeps } from './follow-routes.js';
