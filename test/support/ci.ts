// Whether this run is in CI, where a missing prerequisite (cluster binaries, helm, a linter) must
// fail the run instead of printing a notice. CI systems set `CI` to different values (`true`, `1`,
// `yes`, `True`, a build id): any non-empty value counts, except `false` and `0` (any case, trimmed).
export function isCI(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = (env.CI ?? '').trim().toLowerCase();
  return v !== '' && v !== 'false' && v !== '0';
}
