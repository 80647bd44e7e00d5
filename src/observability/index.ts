// Observability entry points: readiness and its checks, /ready. Metrics live in src/metrics, the
// live-follow endpoints in src/api/follow.
export { Readiness, describeError, DEFAULT_CHECK_TIMEOUT_MS, type CheckResult, type ReadinessCheck, type ReadinessOptions, type ReadinessReport } from './readiness.js';
export { readyRoute } from './ready-route.js';
export { databaseCheck } from './checks/database-check.js';
export { redisCheck, type RedisCheckOptions } from './checks/redis-check.js';
export { providersCheck, type ProviderChain, type ProvidersCheckOptions } from './checks/providers-check.js';
export { busCheck, type BusCheckOptions } from './checks/bus-check.js';
