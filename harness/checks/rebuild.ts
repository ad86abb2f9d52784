import { type CheckDef, type GradeInput, need } from '../engine/check.ts';
import { DEFAULT_EXPECTATIONS } from '../scenario.ts';
import { restoredReached } from './data.ts';

/** The write-up's rebuild (force-new-cluster, then `member add` one by one) leaves these traces. */
const addsMembers = (i: GradeInput) => restoredReached(i) && i.rebuild === 'member-add';
/** Replacing a dead member adds it back with `member add` too, without a first restored member. */
const addsAny = (i: GradeInput) => addsMembers(i) || (restoredReached(i) && i.rebuild === 'replace-member');

/** Finding 3 of the write-up: the first restored member may advertise http://localhost:2380. */
export const peerUrlCheck: CheckDef = {
  id: 'peer-url',
  title: "peer URL: the first restored member's after its first start",
  expectPath: ['peerUrl'],
  fallback: DEFAULT_EXPECTATIONS.unrecorded,
  applies: addsMembers,
  observe(i) {
    const s = need(i, 'strategy');
    const urls = s.peerUrlsAfterFirstStart;
    if (!urls || !s.advertisedPeerUrl) throw new Error('the strategy did not record the first start');
    const observed =
      urls.length === 1 && urls[0] === s.advertisedPeerUrl
        ? 'advertised'
        : urls.some((u) => /\/\/localhost[:/]/.test(u))
          ? 'localhost'
          : 'other';
    return { observed, evidence: { peerUrls: urls, advertised: s.advertisedPeerUrl } };
  },
};

/** Whether `member update` was needed before the next member could join. */
export const memberUpdateCheck: CheckDef = {
  id: 'member-update',
  title: 'member update: needed before the next member could join',
  expectPath: ['memberUpdate'],
  fallback: DEFAULT_EXPECTATIONS.unrecorded,
  applies: addsMembers,
  observe(i) {
    const s = need(i, 'strategy');
    if (!s.peerUrlsAfterFirstStart) throw new Error('the strategy did not record the first start');
    return {
      observed: s.peerUrlFixed ? 'needed' : 'not needed',
      ...(s.peerUrlFixed ? { evidence: { ...s.peerUrlFixed } } : {}),
    };
  },
};

/** Finding 2: etcd refuses `member add` ("unhealthy cluster") until the last join settles. */
export const memberAddCheck: CheckDef = {
  id: 'member-add',
  title: 'member add: each member joins (etcd refuses while the cluster settles)',
  expectPath: ['memberAdd'],
  fallback: DEFAULT_EXPECTATIONS.unrecorded,
  applies: addsAny,
  observe(i) {
    const adds = need(i, 'strategy').memberAdds;
    if (!adds || Object.keys(adds).length === 0) throw new Error('the strategy recorded no member add');
    const refusals = Object.values(adds).reduce((n, a) => n + a.refusals.length, 0);
    return {
      observed: refusals === 0 ? 'joined at once' : 'refused then joined',
      evidence: {
        refusals,
        totalWaitMs: Object.values(adds).reduce((n, a) => n + a.waitMs, 0),
        perMember: adds,
      },
    };
  },
};
