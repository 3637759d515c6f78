// A node:test reporter for scripts/test.mjs: one JSON line per top-level test (file, duration) and
// the run's pass/fail counts, so the test command can total several runs and list the slow files.
export default async function* durations(source) {
  for await (const event of source) {
    const { type, data } = event;
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0) {
      yield `${JSON.stringify({ file: data.file ?? '?', ms: data.details?.duration_ms ?? 0 })}\n`;
    } else if (type === 'test:diagnostic') {
      const m = /^(pass|fail|cancelled) (\d+)$/.exec(data.message);
      if (m) yield `${JSON.stringify({ [m[1]]: Number(m[2]) })}\n`;
    }
  }
}
