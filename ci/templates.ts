/**
 * What GitHub Actions and GitLab CI require of the CI templates (ci/github-actions.yml, ci/gitlab-ci.yml),
 * plus what makes them hang together (needs name real jobs, artifacts downloaded are uploaded, JUnit is
 * rendered where it is published). No SchemaStore schema ships in an npm package we have offline, so these
 * are the runners' own required fields, as their documentation states them.
 */
import { z } from 'zod';

const nonEmpty = z.string().min(1);
const listOf = <T extends z.ZodTypeAny>(t: T) => z.union([t, z.array(t).nonempty()]);

const ghStep = z
  .object({ uses: nonEmpty.optional(), run: nonEmpty.optional(), with: z.record(z.unknown()).optional() })
  .passthrough()
  .refine((s) => (s.uses === undefined) !== (s.run === undefined), 'a step has exactly one of uses and run')
  .refine((s) => s.uses === undefined || /@v\d+$/.test(s.uses), 'an action is pinned to a major version');

const ghJob = z
  .object({
    'runs-on': listOf(nonEmpty),
    steps: z.array(ghStep).nonempty(),
    needs: listOf(nonEmpty).optional(),
    strategy: z
      .object({ matrix: z.record(z.unknown()) })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const GithubWorkflow = z
  .object({ name: nonEmpty, on: z.unknown(), jobs: z.record(ghJob) })
  .passthrough()
  .superRefine((w, ctx) => {
    const jobs = Object.keys(w.jobs);
    if (w.on === undefined) ctx.addIssue({ code: 'custom', path: ['on'], message: 'a workflow needs on:' });
    for (const [id, job] of Object.entries(w.jobs)) {
      for (const n of [job.needs ?? []].flat())
        if (!jobs.includes(n))
          ctx.addIssue({ code: 'custom', path: ['jobs', id, 'needs'], message: `no job ${n}` });
    }
    const steps = Object.values(w.jobs).flatMap((j) => j.steps);
    const uploaded = steps.flatMap((s) =>
      s.uses?.startsWith('actions/upload-artifact') ? [String(s.with?.name)] : [],
    );
    const globs = uploaded.map((n) => new RegExp(`^${n.replace(/\$\{\{[^}]*\}\}/g, '.+')}$`));
    for (const s of steps.filter((x) => x.uses?.startsWith('actions/download-artifact'))) {
      const want = String(s.with?.name ?? s.with?.pattern).replace(/\*$/, 'x');
      if (!globs.some((g) => g.test(want)))
        ctx.addIssue({
          code: 'custom',
          path: ['jobs'],
          message: `artifact ${want} is downloaded, never uploaded`,
        });
    }
  });

const RESERVED = new Set([
  'stages',
  'variables',
  'default',
  'include',
  'workflow',
  'image',
  'services',
  'cache',
  'before_script',
  'after_script',
]);

const glJob = z
  .object({
    stage: nonEmpty,
    script: z.array(nonEmpty).nonempty(),
    parallel: z.number().int().min(1).max(200).optional(),
    needs: z.array(z.union([nonEmpty, z.object({ job: nonEmpty }).passthrough()])).optional(),
    artifacts: z
      .object({
        paths: z.array(nonEmpty).optional(),
        reports: z
          .object({ junit: listOf(nonEmpty).optional() })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const GitlabCi = z
  .object({ stages: z.array(nonEmpty).nonempty() })
  .passthrough()
  .superRefine((c, ctx) => {
    const entries = Object.entries(c).filter(([k]) => !RESERVED.has(k) && !k.startsWith('.'));
    for (const [id, raw] of entries) {
      const job = glJob.safeParse(raw);
      if (!job.success) {
        for (const i of job.error.issues) ctx.addIssue({ ...i, path: [id, ...i.path] });
        continue;
      }
      if (!c.stages.includes(job.data.stage))
        ctx.addIssue({
          code: 'custom',
          path: [id, 'stage'],
          message: `stage ${job.data.stage} is not in stages`,
        });
      for (const n of job.data.needs ?? []) {
        const name = typeof n === 'string' ? n : n.job;
        if (!entries.some(([k]) => k === name))
          ctx.addIssue({ code: 'custom', path: [id, 'needs'], message: `no job ${name}` });
      }
    }
  });

/** The `etcd-drill …` command lines of a template's scripts, line continuations joined. */
export function drillCommands(scripts: readonly string[]): string[] {
  return scripts
    .flatMap((s) => s.replace(/\s*\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => /^npx etcd-drill /.test(l));
}
