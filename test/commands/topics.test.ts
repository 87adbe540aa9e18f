import { describe, expect, it } from 'vitest';
import { site } from './publish-support.js';

describe('thoth topics', () => {
  it('lists every catalogue topic as a table on a terminal, missing ones marked', async () => {
    const s = site('embedded');
    await s.thoth(['publish', 'repo-init', '--field', 'project_url=https://git.example/demo']);
    const result = await s.thoth(['topics'], { tty: true });
    expect(result.code).toBe(0);
    const rows = result.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^TOPIC +TYPE +EXISTS +PARTITIONS +MESSAGES$/);
    expect(rows).toHaveLength(22);
    expect(rows.find((r) => r.includes('.thoth.repo-init'))).toMatch(
      new RegExp(`^${s.deployment}\\.thoth\\.repo-init +repo-init +yes +1 +1$`),
    );
    expect(rows.find((r) => r.includes('.thoth.solver.solved-package'))).toMatch(/ solved-package +no +- +-$/);
    expect(rows.at(-1)).toMatch(new RegExp(`^${s.deployment}\\.thoth\\.investigator\\.dead-letter +dead-letter +no`));
  });

  it('prints YAML when asked', async () => {
    const s = site('embedded');
    const result = await s.thoth(['topics', '-o', 'yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`- topic: ${s.deployment}.thoth.repo-init\n  type: repo-init\n  exists: false\n`);
  });

  it('refuses an unknown action', async () => {
    const result = await site('embedded').thoth(['topics', 'delete']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown action "delete": thoth topics lists, thoth topics create creates');
  });
});
