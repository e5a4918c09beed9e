/** The run fixtures the benchmarks use too (one copy): small runs ending every way, written like the writer writes them. */
export { fixtureRunId, runEvents, writeRunFile, type FixtureEnd } from '../../../bench/support/runLogFixture';
