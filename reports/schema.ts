/**
 * results.json as a validator: readers (regression diffs, CI tooling, tests) parse runs through this
 * rather than trusting the shape. The model lives in harness/result.ts; documented in reports/SCHEMA.md.
 */
export { CheckResultSchema, RunResultSchema, ScenarioResultSchema } from '../harness/result.ts';
