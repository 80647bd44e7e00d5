// Usage accounting, prices, display currency and budgets: pure logic, no I/O.
export * from './usage-item.js';
export * from './price-table.js';
export * from './currency.js';
export * from './usage-aggregate.js';
export * from './call-usage.js';
export * from './budget.js';
export * from './utc-window.js';
export * from './budget-ledger.js';
export * from './metered-providers.js';
export * from './tier-switch.js';
