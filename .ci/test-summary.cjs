// Prints what a vitest JSON report says: the counts, then each failed test (file, name, the first lines of its
// error) and each file that failed before its tests ran. `.ci/run` prints this last, after the quick bench, so that
// the tail of a CI log, which is often all that is kept, names what failed.
// Vitest's JSON report has no place for unhandled errors (they fail the run with every test passed), nor for a
// typecheck that failed before vitest ran, so the test command's own log is read for those.
// Usage: node .ci/test-summary.cjs <vitest.json> <npm test log>
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const MAX_LINES = 12;
const MAX_CHARS = 1500;
const [reportPath, logPath] = process.argv.slice(2);
const read = (file) => (file && fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
const strip = (text) => String(text).replace(/\x1b\[[0-9;]*m/g, '');
const excerpt = (text) => {
  const lines = strip(text)
    .split('\n')
    .filter((l) => l.trim() !== '' && !/node_modules\/|node:internal|new Promise \(<anonymous>\)/.test(l))
    .slice(0, MAX_LINES)
    .join('\n');
  return lines.length > MAX_CHARS ? `${lines.slice(0, MAX_CHARS)} …` : lines;
};
const indent = (text) => text.replace(/^/gm, '      ');

const log = strip(read(logPath)).split('\n');
const unhandled = log.findIndex((l) => /Unhandled (Errors?|Rejection)/.test(l));
if (unhandled >= 0) {
  const end = log.findIndex((l, i) => i > unhandled && /^\s*Test Files\s/.test(l));
  const section = log.slice(unhandled, end > unhandled ? Math.min(end, unhandled + 60) : unhandled + 60);
  console.log(`Unhandled errors (from the test log):\n${indent(section.filter((l) => l.trim() !== '').join('\n'))}`);
}
const raw = read(reportPath);
if (!raw) {
  console.log(`vitest wrote no report (the typecheck or vitest itself failed first). The test log ends:\n${indent(log.slice(-30).join('\n'))}`);
  process.exit(0);
}
const report = JSON.parse(raw);
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
const failures = [];
for (const file of report.testResults ?? []) {
  const name = path.relative(process.cwd(), file.name);
  const failed = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
  for (const test of failed) failures.push(`  ✗ ${name} › ${test.fullName}\n${indent(excerpt((test.failureMessages ?? []).join('\n')))}`);
  // A file can fail with no failed test: an error in a hook or at import, or an unhandled error.
  if (file.status === 'failed' && failed.length === 0) failures.push(`  ✗ ${name} (the file itself)\n${indent(excerpt(file.message || 'no message'))}`);
}
if (report.numFailedTestSuites > 0 && failures.length === 0) failures.push(`  ✗ ${report.numFailedTestSuites} file(s) failed; see the log above`);
if (failures.length > 0) console.log(`Failed:\n${failures.join('\n')}`);
